// Observation: the counters behind `stats()` and `$SRV.STATS`, and one completion line per request.
// Stages and phases never count or time themselves; this is told the outcome once, at the end.
import type { CredvendError } from "@credvend/protocol";
import type { Logger } from "pino";
import type { RequestRecord } from "../pipeline/record.js";

export interface Answered {
  readonly record: RequestRecord;
  readonly error: CredvendError | undefined;
  readonly outcome: string;
  readonly stages?: Readonly<Record<string, number>>;
  /** Where the reply went; undefined when it could not be sent anywhere. */
  readonly target: string | undefined;
  /** Answered with the reply of an identical request this worker was serving. */
  readonly coalesced?: boolean;
  readonly answeredAt: number;
}

export interface Counters {
  /** Requests answered, whatever the answer. */
  readonly requests: number;
  readonly served: number;
  readonly failed: number;
  readonly replayed: number;
  readonly overloaded: number;
  readonly coalesced: number;
  /** Sum of receipt-to-reply time over answered requests, in nanoseconds (the NATS micro unit). */
  readonly processingNanos: number;
  readonly lastError: string | undefined;
}

export class Observer {
  readonly #log: Logger;
  #c = { requests: 0, served: 0, failed: 0, replayed: 0, overloaded: 0, coalesced: 0, processingNanos: 0, lastError: undefined as string | undefined };

  readonly #listeners: readonly ((a: Answered) => void)[];

  /** `listeners` hear every completion (metrics), after the counters and the log line. */
  constructor(log: Logger, listeners: readonly ((a: Answered) => void)[] = []) {
    this.#log = log;
    this.#listeners = listeners;
  }

  counters(): Counters {
    return { ...this.#c };
  }

  answered(a: Answered): void {
    const c = this.#c;
    const ms = a.answeredAt - a.record.receivedAt;
    c.requests += 1;
    c.processingNanos += Math.max(0, ms) * 1e6;
    if (a.outcome === "replayed") c.replayed += 1;
    if (a.coalesced) c.coalesced += 1;
    if (a.error?.reason === "CV_ERR_OVERLOADED") c.overloaded += 1;
    if (a.error) {
      c.failed += 1;
      c.lastError = `${a.error.code} ${a.error.reason}`;
    } else {
      c.served += 1;
    }
    const { record, error } = a;
    // The completion line is built only when it is written (a fleet at "warn" logs refusals'
    // causes, not a line per issued request); the listeners (metrics) still hear every request.
    const internal = error?.code === "INTERNAL";
    if (internal ? this.#log.isLevelEnabled("error") : this.#log.isLevelEnabled("info")) this.#logLine(a, internal);
    for (const listen of this.#listeners) listen(a);
  }

  #logLine(a: Answered, internal: boolean): void {
    const { record, error } = a;
    const ms = a.answeredAt - a.record.receivedAt;
    const stages = a.stages ?? {};
    const line = {
      requestId: record.requestId,
      tenant: record.identity?.tenant,
      principal: record.identity?.principal,
      template: record.template,
      effectiveTenant: record.effectiveTenant !== record.identity?.tenant ? record.effectiveTenant : undefined,
      outcome: a.outcome,
      code: error?.code,
      reason: error?.reason,
      ms,
      awsMs: round((stages["sts"] ?? 0) + (stages["encrypt"] ?? 0)),
      stages,
      reused: record.reused,
      coalesced: a.coalesced,
      replyTo: a.target ? undefined : "none",
    };
    if (internal) this.#log.error({ ...line, err: describeCause(error?.cause) }, "request failed");
    else this.#log.info(line, error ? `request refused: ${error.message}` : "request done");
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export function describeCause(cause: unknown): { type: string; message: string; stack?: string } | string {
  if (cause instanceof Error) return { type: cause.name, message: cause.message, ...(cause.stack ? { stack: cause.stack } : {}) };
  return String(cause);
}
