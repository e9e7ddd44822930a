// Keeps the audit stream existing while the worker runs, not only at its start. A nats-server
// restarted without its store (a container with no volume) or with JetStream off and then on again
// comes back without the stream, and in "required" mode every issuance would be refused until a
// worker restart. After a failed acknowledged write the keeper finds or creates the stream again
// (ensureAuditStream: it creates only a stream that is missing, never changes one an operator
// made), at most once per interval, one attempt at a time, off the request's path.
import type { NatsConnection } from "nats";
import type { Logger } from "pino";
import { AUDIT_STREAM, ensureAuditStream, type AuditStreamOptions } from "./stream.js";

export interface StreamKeeperOptions extends AuditStreamOptions {
  /** How long one JetStream API call may take. */
  readonly timeoutMs: number;
  /** Least time between two checks (default 1 s): a flood of failures costs one API call per interval. */
  readonly intervalMs?: number;
}

export class StreamKeeper {
  readonly #nc: NatsConnection;
  readonly #options: StreamKeeperOptions;
  readonly #log: Logger;
  #running: Promise<void> | undefined;
  #lastAt = Number.NEGATIVE_INFINITY;

  constructor(nc: NatsConnection, options: StreamKeeperOptions, log: Logger) {
    this.#nc = nc;
    this.#options = options;
    this.#log = log;
  }

  /** An acknowledged write failed: check the stream soon (never throws, never waits). */
  writeFailed(): void {
    const now = performance.now();
    if (this.#running !== undefined || now - this.#lastAt < (this.#options.intervalMs ?? 1000) || this.#nc.isClosed()) return;
    this.#lastAt = now;
    this.#running = this.#check().finally(() => {
      this.#running = undefined;
    });
  }

  /** The check in flight, if any (tests, and a stopping worker that wants it done). */
  get running(): Promise<void> | undefined {
    return this.#running;
  }

  async #check(): Promise<void> {
    try {
      const jsm = await this.#nc.jetstreamManager({ timeout: this.#options.timeoutMs, checkAPI: false });
      const ensured = await ensureAuditStream(jsm, this.#options);
      if (ensured === "created") this.#log.warn({ stream: AUDIT_STREAM }, "the audit stream was missing (nats-server restarted without its store?) and was created again");
    } catch (error) {
      // No JetStream yet, or no permission: the next failed write tries again.
      this.#log.debug({ err: (error as Error).message }, "audit stream check failed");
    }
  }
}
