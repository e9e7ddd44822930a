// Holds unacknowledged audit events while the NATS connection is down. nats.js (2.29) discards what
// is published while disconnected: each dial resets its outbound buffer (protocol.js prepare ▶
// resetOutbound), so a refusal decided during a nats-server restart, a window's summary, or an
// "async" mode issuance would be lost without a trace (audit-nats-restart.test.ts: 0 of 40 stored
// before this). While the connection is down they wait here, in order and up to a bound, and are
// published once it is back. Acknowledged writes do not wait here: their publish would be lost
// just the same, so they fail at once (auditor.ts) and the requester's retry is the replay.
import type { NatsConnection } from "nats";
import type { Logger } from "pino";
import type { AuditEvent } from "./event.js";

/** Events held during one outage; beyond, they are counted as dropped and logged at the reconnect. */
export const MAX_HELD_EVENTS = 10_000;

export class OutageHold {
  readonly #send: (event: AuditEvent) => void;
  readonly #log: Logger;
  readonly #held: AuditEvent[] = [];
  #down = false;
  #dropped = 0;
  #droppedTotal = 0;

  constructor(nc: NatsConnection, send: (event: AuditEvent) => void, log: Logger) {
    this.#send = send;
    this.#log = log;
    void this.#watch(nc);
  }

  /** Events waiting for the connection to come back. */
  get held(): number {
    return this.#held.length;
  }

  /** Events that did not fit while the connection was down, since the worker started. */
  get dropped(): number {
    return this.#droppedTotal;
  }

  /** Whether the connection is down (as its last status said). */
  get down(): boolean {
    return this.#down;
  }

  /** Sends the event now, or holds it until the connection is back. */
  post(event: AuditEvent): void {
    if (!this.#down) {
      this.#send(event);
    } else if (this.#held.length < MAX_HELD_EVENTS) {
      this.#held.push(event);
    } else {
      this.#dropped += 1;
      this.#droppedTotal += 1;
    }
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") this.#down = true;
      else if (s.type === "reconnect") this.#release();
    }
  }

  #release(): void {
    this.#down = false;
    const held = this.#held.splice(0);
    for (const event of held) this.#send(event);
    if (this.#dropped > 0) this.#log.warn({ sent: held.length, dropped: this.#dropped }, "audit events held during the NATS outage were sent; the rest did not fit and were dropped");
    else if (held.length > 0) this.#log.info({ sent: held.length }, "audit events held during the NATS outage were sent");
    this.#dropped = 0;
  }
}
