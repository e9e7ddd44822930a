// What the fault tests assert for every request id, whatever broke: never issued twice (at most
// one access key id in all the replies of one id, and no more successful AssumeRole calls than
// ids served), never lost (every id ends with credentials or a definite error), never hung (every
// id ends within its budget). Requests are sent raw, so a retry re-sends the very same payload
// (same client_time_ms), as the client SDK's own retries do.
import { encodeRequest, readReply, REPLY_PREFIX, replySubject, requestSubject, type ReplyView } from "@credvend/protocol";
import { uniqueRequestId } from "@credvend/testkit";
import type { NatsConnection, Subscription } from "nats";
import assert from "node:assert/strict";

export type Final =
  | { readonly kind: "credentials"; readonly accessKeyId: string; readonly attempts: number }
  | { readonly kind: "error"; readonly reason: string; readonly message: string; readonly attempts: number }
  | { readonly kind: "hung"; readonly attempts: number; readonly last: string };

export interface Tally {
  readonly ids: number;
  readonly served: number;
  readonly refused: number;
  /** Ids whose replies carried more than one access key id. */
  readonly issuedTwice: number;
  readonly hung: number;
  /** Final definite errors by reason. */
  readonly reasons: Readonly<Record<string, number>>;
  /** The first message of each reason: which check refused, in the words a caller sees. */
  readonly messages: Readonly<Record<string, string>>;
}

/** Every reply published in a requester's namespace, by request id. */
export class ReplyLedger {
  readonly #keys = new Map<string, Set<string>>();
  readonly #sub: Subscription;

  constructor(nc: NatsConnection, tenant: string, principal: string) {
    this.#sub = nc.subscribe(`${REPLY_PREFIX}.${tenant}.${principal}.*`, {
      callback: (_e, m) => {
        const r = readReply(m.data);
        if (r.kind !== "credentials") return;
        const keys = this.#keys.get(r.requestId) ?? new Set<string>();
        keys.add(r.envelope.accessKeyId);
        this.#keys.set(r.requestId, keys);
      },
    });
  }

  keysOf(requestId: string): ReadonlySet<string> {
    return this.#keys.get(requestId) ?? new Set();
  }

  close(): void {
    this.#sub.unsubscribe();
  }
}

export interface RawRequester {
  readonly requestId: string;
  /** Retryable refusals received on the way, with their retry-after hints. */
  readonly refusals: { readonly reason: string; readonly retryAfterMs: number }[];
  /** Publishes the same payload until a final answer or the budget runs out. */
  untilFinal(budgetMs: number, attemptTimeoutMs?: number): Promise<Final>;
}

export function rawRequester(nc: NatsConnection, tenant: string, principal: string, clientTimeMs = Date.now()): RawRequester {
  const requestId = uniqueRequestId();
  const payload = encodeRequest({ requestId, template: "s3-tenant-read", params: { bucket: "acme-data" }, clientTimeMs, deadlineMs: clientTimeMs + 120_000 });
  const refusals: { reason: string; retryAfterMs: number }[] = [];
  return {
    requestId,
    refusals,
    async untilFinal(budgetMs, attemptTimeoutMs = 1500) {
      const until = Date.now() + budgetMs;
      let attempts = 0;
      let last = "no attempt";
      while (Date.now() < until) {
        attempts += 1;
        let reply: ReplyView;
        try {
          const msg = await nc.request(requestSubject(tenant, principal), payload, {
            timeout: Math.max(50, Math.min(attemptTimeoutMs, until - Date.now())), noMux: true, reply: replySubject(tenant, principal, requestId),
          });
          reply = readReply(msg.data);
        } catch (error) {
          last = error instanceof Error ? error.message : String(error);
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        if (reply.kind === "credentials") return { kind: "credentials", accessKeyId: reply.envelope.accessKeyId, attempts };
        if (!reply.error.retryable) return { kind: "error", reason: reply.error.reason, message: reply.error.message, attempts };
        last = reply.error.reason;
        refusals.push({ reason: reply.error.reason, retryAfterMs: reply.error.retryAfterMs ?? 0 });
        await new Promise((r) => setTimeout(r, Math.min(reply.error.retryAfterMs ?? 100, 500)));
      }
      return { kind: "hung", attempts, last };
    },
  };
}

export function tally(finals: readonly Final[], ledger: ReplyLedger, ids: readonly string[]): Tally {
  const reasons: Record<string, number> = {};
  const messages: Record<string, string> = {};
  for (const f of finals) {
    if (f.kind !== "error") continue;
    reasons[f.reason] = (reasons[f.reason] ?? 0) + 1;
    messages[f.reason] ??= f.message;
  }
  return {
    ids: ids.length,
    served: finals.filter((f) => f.kind === "credentials").length,
    refused: finals.filter((f) => f.kind === "error").length,
    issuedTwice: ids.filter((id) => ledger.keysOf(id).size > 1).length,
    hung: finals.filter((f) => f.kind === "hung").length,
    reasons,
    messages,
  };
}

/** A load of `count` new request ids, one every `gapMs`, with retries of every fourth id while they are in flight. */
export interface RetriedLoad {
  readonly requesters: readonly RawRequester[];
  /** Every first answer and every retry's, once all have ended. */
  readonly finals: Promise<Final[]>;
}

export function retriedLoad(nc: NatsConnection, tenant: string, principal: string, count: number, gapMs = 40): RetriedLoad {
  const requesters = Array.from({ length: count }, () => rawRequester(nc, tenant, principal));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const first = Promise.all(requesters.map(async (r, i) => {
    await sleep(i * gapMs);
    return r.untilFinal(20_000, 1500);
  }));
  // Retries of ids already in flight (the same payload, as a client's retry sends it).
  const retries = Promise.all(requesters.filter((_, i) => i % 4 === 0).map(async (r, i) => {
    await sleep(i * gapMs * 4 + 20);
    return r.untilFinal(20_000, 1500);
  }));
  return { requesters, finals: Promise.all([first, retries]).then(([a, b]) => [...a, ...b]) };
}

/**
 * After a failover: every id is asked once more, and across the first answers and these none was
 * issued twice, none hung and every one got credentials (the stored reply, never a second issuance).
 */
export async function assertEachServedOnce(first: readonly Final[], requesters: readonly RawRequester[], ledger: ReplyLedger): Promise<Tally> {
  const again = await Promise.all(requesters.map((r) => r.untilFinal(10_000, 1500)));
  const all: Final[] = [...first, ...again];
  const tl = tally(all, ledger, requesters.map((r) => r.requestId));
  assert.equal(tl.issuedTwice, 0, `issued twice: ${JSON.stringify(tl)}`);
  assert.equal(tl.hung, 0, `hung: ${JSON.stringify(all.filter((f) => f.kind === "hung"))}`);
  assert.ok(all.every((f) => f.kind === "credentials"), `every id served, first and again: ${JSON.stringify(tl)}`);
  return tl;
}
