// The worker's audit hook: given a decision, it publishes the event and says what reply goes out.
// A decision that hands out credentials in "required" mode waits for the stream's ack; if the
// stream did not store it, the requester gets a retryable CV_ERR_AUDIT_UNAVAILABLE instead. The
// idempotency record (settled before) still holds the sealed credentials, so the retry is a replay
// (audited as such, with the same access key id) and costs no second STS call. Refusals go through
// the refusal windows (refusal-windows.ts): the first of a kind in full, the rest counted.
import type { CredvendError } from "@credvend/protocol";
import type { NatsConnection } from "nats";
import type { Logger } from "pino";
import { errorReply } from "../boundary.js";
import { Auditor, type AuditorOptions } from "./auditor.js";
import { buildAuditEvent, type Decision, type EventContext } from "./build-event.js";
import { RefusalWindows, type RefusalWindowOptions } from "./refusal-windows.js";
import { AUDIT_STREAM, ensureAuditStream, type AuditStreamOptions } from "./stream.js";
import { StreamKeeper } from "./stream-keeper.js";

export interface Audited {
  readonly reply: Uint8Array;
  readonly error: CredvendError | undefined;
  readonly outcome: string;
}

export interface AuditHook {
  readonly auditor: Auditor;
  /** Audits a decision before its reply is sent; the reply to send. */
  decide(d: Decision): Promise<Audited>;
  /** Audits a refusal that is answered without waiting (admission, shutdown). */
  note(d: Decision): void;
  /** Publishes the summaries of every open refusal window (the worker is stopping). */
  close(): void;
  /** Refusal windows open now (each will publish a summary when it closes). */
  readonly openWindows: number;
}

export function auditHook(auditor: Auditor, ctx: EventContext, now: () => number, windows: RefusalWindowOptions = { windowMs: 0 }): AuditHook {
  const refusals = new RefusalWindows({ now, ...windows }, (e) => auditor.post(e));
  return {
    auditor,
    note(d) {
      if (auditor.mode !== "off") refusals.note(buildAuditEvent(d, ctx));
    },
    close() {
      refusals.close();
    },
    get openWindows() {
      return refusals.size;
    },
    async decide(d) {
      const passed: Audited = { reply: d.reply, error: d.error, outcome: d.outcome };
      if (auditor.mode === "off") return passed;
      const event = buildAuditEvent(d, ctx);
      if (!auditor.mustWait(event)) {
        refusals.note(event);
        return passed;
      }
      try {
        await auditor.write(event);
        return passed;
      } catch (error) {
        const refusal = error as CredvendError;
        return { reply: errorReply(d.record, refusal, now()), error: refusal, outcome: "refused" };
      }
    },
  };
}

export interface AuditSettings extends AuditorOptions, AuditStreamOptions {}

/**
 * The worker's auditor. The stream is found or created here; when that fails (no JetStream, no
 * permission) the worker still starts and says so: in "required" mode every issuance is then
 * refused as retryable until the stream exists, which is what an operator sees and fixes.
 */
export async function startAuditor(nc: NatsConnection, settings: AuditSettings, log: Logger): Promise<Auditor> {
  // A stream lost while the worker runs (nats-server restarted without its store) is made again.
  const keeper = new StreamKeeper(nc, settings, log);
  const auditor = new Auditor(nc, settings, log, () => keeper.writeFailed());
  if (settings.mode === "off") return auditor;
  try {
    const jsm = await nc.jetstreamManager({ timeout: settings.timeoutMs, checkAPI: false });
    const ensured = await ensureAuditStream(jsm, settings);
    log.info({ stream: AUDIT_STREAM, ensured, mode: settings.mode }, "audit stream ready");
  } catch (error) {
    log.error({ err: (error as Error).message, mode: settings.mode },
      settings.mode === "required" ? "audit stream unavailable: credentials will be refused (retryable) until it exists" : "audit stream unavailable: decisions are not being audited");
  }
  return auditor;
}
