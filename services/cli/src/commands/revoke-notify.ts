// After the IAM deny is written: tells every running worker (REVOCATION_SUBJECT, answered by each)
// to stop reusing the revoked sessions, and checks that every worker $SRV.PING finds answered.
import { encodeRevocation, REVOCATION_SUBJECT, VENDOR_QUEUE_GROUP, type RevocationAck, type RevocationNotice } from "@credvend/protocol";
import { RequestStrategy, type NatsConnection } from "nats";
import { CliFailure } from "../args.js";
import type { RequesterEnv } from "../cli-env.js";
import { connectNats } from "../connect.js";

/** How long workers get to answer (each answers at once; this covers a loaded fleet). */
const ANSWER_MS = 1500;

export interface NotifyResult {
  readonly workers: number;
  readonly applied: number;
  readonly dropped: number;
}

async function collect<T>(nc: NatsConnection, subject: string, data: Uint8Array, parse: (bytes: Uint8Array) => T): Promise<T[]> {
  const out: T[] = [];
  try {
    for await (const m of await nc.requestMany(subject, data, { strategy: RequestStrategy.Timer, maxWait: ANSWER_MS })) {
      try {
        out.push(parse(m.data));
      } catch {
        // Not an answer of ours: ignored.
      }
    }
  } catch (error) {
    // "No responders": no worker runs.
    if ((error as { code?: unknown }).code !== "503") throw error;
  }
  return out;
}

const json = (bytes: Uint8Array): Record<string, unknown> => JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;

export async function notifyWorkers(env: RequesterEnv, notice: RevocationNotice): Promise<NotifyResult> {
  const nc = await connectNats(env, "credvend-revoke");
  try {
    // Workers are a NATS service named like their queue group.
    const pinged = collect(nc, `$SRV.PING.${VENDOR_QUEUE_GROUP}`, new Uint8Array(), (b) => String(json(b)["id"]));
    const acked = collect(nc, REVOCATION_SUBJECT, encodeRevocation(notice), (b) => {
      const ack = json(b) as unknown as RevocationAck;
      if (typeof ack.worker !== "string" || typeof ack.dropped !== "number") throw new Error("not an ack");
      return ack;
    });
    const [workers, acks] = await Promise.all([pinged, acked]);
    const applied = new Set(acks.map((a) => a.worker));
    const missing = workers.filter((id) => !applied.has(id));
    if (missing.length > 0) {
      throw new CliFailure(
        `the IAM deny is in place, but ${missing.length} of ${workers.length} worker(s) did not confirm dropping reused sessions (${missing.join(", ")}): `
          + "they may hand a revoked session out again until it nears expiry; run the same revoke again (it is idempotent), or restart those workers",
      );
    }
    return { workers: workers.length, applied: applied.size, dropped: acks.reduce((n, a) => n + a.dropped, 0) };
  } finally {
    await nc.close();
  }
}
