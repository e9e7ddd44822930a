// Publishes audit events to the JetStream stream. Decisions that hand out credentials (issued,
// replayed) wait for the stream's ack in "required" mode (the default): without it the worker
// answers CV_ERR_AUDIT_UNAVAILABLE instead of the credentials. Refusals never wait (no credentials
// leave; an overload flood must not queue behind the stream), and "async" mode waits for nothing.
import { CredvendError } from "@credvend/protocol";
import type { JetStreamClient } from "nats";
import type { Logger } from "pino";
import { auditMsgId, auditSubject, encodeAuditEvent, type AuditEvent } from "./event.js";

export type AuditMode = "required" | "async" | "off";

export interface AuditorOptions {
  readonly mode: AuditMode;
  /** How long one publish waits for the stream's ack. */
  readonly timeoutMs: number;
  /** Publishes nobody waits for, at most this many at once; beyond that they are dropped (and counted). */
  readonly maxPending: number;
}

export interface AuditCounters {
  readonly published: number;
  readonly failed: number;
  readonly dropped: number;
}

export class Auditor {
  readonly #js: JetStreamClient;
  readonly #options: AuditorOptions;
  readonly #log: Logger;
  #pending = 0;
  #c = { published: 0, failed: 0, dropped: 0 };

  constructor(js: JetStreamClient, options: AuditorOptions, log: Logger) {
    this.#js = js;
    this.#options = options;
    this.#log = log;
  }

  get mode(): AuditMode {
    return this.#options.mode;
  }

  counters(): AuditCounters {
    return { ...this.#c };
  }

  /** Whether handing out this decision's credentials waits for its audit event. */
  mustWait(event: AuditEvent): boolean {
    return this.#options.mode === "required" && (event.outcome === "issued" || event.outcome === "replayed");
  }

  /** Publishes and waits for the ack; throws CV_ERR_AUDIT_UNAVAILABLE if the stream did not store it. */
  async write(event: AuditEvent): Promise<void> {
    try {
      await this.#publish(event);
    } catch (cause) {
      throw new CredvendError("CV_ERR_AUDIT_UNAVAILABLE", "the audit stream did not record this decision, so the credentials were not handed out; retry with the same request_id", { cause, retryAfterMs: 500 });
    }
  }

  /** Publishes without making anyone wait; a failure is logged and counted. */
  post(event: AuditEvent): void {
    if (this.#options.mode === "off") return;
    if (this.#pending >= this.#options.maxPending) {
      this.#c.dropped += 1;
      return;
    }
    this.#pending += 1;
    this.#publish(event)
      .catch(() => undefined)
      .finally(() => { this.#pending -= 1; });
  }

  async #publish(event: AuditEvent): Promise<void> {
    try {
      await this.#js.publish(auditSubject(event.tenant, event.principal), encodeAuditEvent(event), { msgID: auditMsgId(event), timeout: this.#options.timeoutMs });
      this.#c.published += 1;
    } catch (error) {
      this.#c.failed += 1;
      // The event itself holds no secret, but the log line needs only what identifies it.
      this.#log.warn({ requestId: event.requestId, tenant: event.tenant, principal: event.principal, outcome: event.outcome, err: (error as Error).message }, "audit event not stored");
      throw error;
    }
  }
}
