// Publishes audit events to the JetStream stream. Decisions that hand out credentials (issued,
// replayed) wait for the stream's ack in "required" mode (the default): without it the worker
// answers CV_ERR_AUDIT_UNAVAILABLE instead of the credentials. Refusals never wait (no credentials
// leave; an overload flood must not queue behind the stream), and "async" mode waits for nothing:
// those are plain NATS publishes with the message id header, which the stream stores and
// de-duplicates alike, without a reply inbox and ack timer per event (measured under the flood
// test: acked publishes of every overload refusal doubled the other tenant's p99). Acked publishes
// go through one inbox (ack-inbox.ts), not a NATS request each. While the connection is down,
// posted events are held until it is back (outage-hold.ts) and acknowledged writes fail at once.
import { CredvendError } from "@credvend/protocol";
import { headers, type NatsConnection } from "nats";
import type { Logger } from "pino";
import { AckInbox } from "./ack-inbox.js";
import { auditMsgId, auditSubject, encodeAuditEvent, type AuditEvent } from "./event.js";
import { OutageHold } from "./outage-hold.js";

export type AuditMode = "required" | "async" | "off";

export interface AuditorOptions {
  readonly mode: AuditMode;
  /** How long one publish waits for the stream's ack. */
  readonly timeoutMs: number;
}

export interface AuditCounters {
  /** Acknowledged by the stream. */
  readonly stored: number;
  /** Not acknowledged (the decision's credentials were withheld). */
  readonly failed: number;
  /** Sent without waiting for an ack. */
  readonly posted: number;
  /** Waiting for the NATS connection to come back (outage-hold.ts). */
  readonly held: number;
  /** Lost: they did not fit in what is held during an outage. */
  readonly dropped: number;
}

/** What a worker reports of its audit (stats, /metrics): the auditor's counts and the windows open. */
export type AuditStats = AuditCounters & { readonly refusalWindows: number };

export class Auditor {
  readonly #nc: NatsConnection;
  readonly #acks: AckInbox | undefined;
  readonly #options: AuditorOptions;
  readonly #log: Logger;
  readonly #hold: OutageHold;
  #c = { stored: 0, failed: 0, posted: 0 };

  readonly #unstored: (() => void) | undefined;

  /** `unstored` is told of every acknowledged write that failed (audit.ts: the stream keeper). */
  constructor(nc: NatsConnection, options: AuditorOptions, log: Logger, unstored?: () => void) {
    this.#nc = nc;
    this.#acks = options.mode === "required" ? new AckInbox(nc, options.timeoutMs) : undefined;
    this.#options = options;
    this.#log = log;
    this.#unstored = unstored;
    this.#hold = new OutageHold(nc, (event) => this.#publish(event), log);
  }

  get mode(): AuditMode {
    return this.#options.mode;
  }

  counters(): AuditCounters {
    return { ...this.#c, held: this.#hold.held, dropped: this.#hold.dropped };
  }

  /** Whether handing out this decision's credentials waits for its audit event. */
  mustWait(event: AuditEvent): boolean {
    return this.#options.mode === "required" && (event.outcome === "issued" || event.outcome === "replayed");
  }

  /** Publishes and waits for the ack; throws CV_ERR_AUDIT_UNAVAILABLE if the stream did not store it. */
  async write(event: AuditEvent): Promise<void> {
    try {
      if (!this.#acks) throw new Error(`audit mode "${this.#options.mode}" writes no acknowledged events`);
      // nats.js would discard the publish at the reconnect: no ack could come, so do not wait for one.
      if (this.#hold.down) throw new Error("the NATS connection is down");
      await this.#acks.publish(auditSubject(event.tenant, event.principal), encodeAuditEvent(event), msgIdHeaders(event));
      this.#c.stored += 1;
    } catch (cause) {
      this.#c.failed += 1;
      // The stream is checked again after a failure while connected (an outage says nothing of it).
      if (!this.#hold.down) this.#unstored?.();
      // The event itself holds no secret, but the log line needs only what identifies it.
      this.#log.warn({ requestId: event.requestId, tenant: event.tenant, principal: event.principal, outcome: event.outcome, err: (cause as Error).message }, "audit event not stored; the credentials were withheld");
      throw new CredvendError("CV_ERR_AUDIT_UNAVAILABLE", "the audit stream did not record this decision, so the credentials were not handed out; retry with the same request_id", { cause, retryAfterMs: 500 });
    }
  }

  /** Publishes without making anyone wait (and without an ack); held while the connection is down. */
  post(event: AuditEvent): void {
    if (this.#options.mode === "off") return;
    this.#hold.post(event);
  }

  #publish(event: AuditEvent): void {
    try {
      this.#nc.publish(auditSubject(event.tenant, event.principal), encodeAuditEvent(event), { headers: msgIdHeaders(event) });
      this.#c.posted += 1;
    } catch (error) {
      this.#log.warn({ requestId: event.requestId, outcome: event.outcome, err: (error as Error).message }, "audit event not sent");
    }
  }
}

/** The stream de-duplicates on this header (a retried publish of one event is stored once). */
function msgIdHeaders(event: AuditEvent) {
  const h = headers();
  h.set("Nats-Msg-Id", auditMsgId(event));
  return h;
}
