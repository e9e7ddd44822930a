// Duplicates of a request this worker already holds (same principal, same request id, same
// content) wait here for the first one's reply instead of taking a slot or a queue place each:
// a thousand copies of one request cost one pipeline run. Across workers the Redis claim still
// decides; this only spares the duplicates that land on the same worker.
import type { Caller } from "./fair-queue.js";

export interface Peeked {
  readonly requestId: string;
  readonly fingerprint: string;
}

interface Entry<W> {
  readonly fingerprint: string;
  readonly caller: Caller;
  readonly waiters: W[];
}

export class Coalescer<W> {
  readonly #maxWaitingPerPrincipal: number;
  readonly #entries = new Map<string, Entry<W>>();
  readonly #waitingPerPrincipal = new Map<string, number>();
  #waiting = 0;

  constructor(maxWaitingPerPrincipal: number) {
    this.#maxWaitingPerPrincipal = maxWaitingPerPrincipal;
  }

  get waiting(): number { return this.#waiting; }

  /**
   * For a request about to be admitted: "lead" if no identical request is held (the caller must
   * call settle() once it is answered), "wait" if it joined one, "full" if its principal already
   * has the most duplicates waiting that it may (it is then admitted like any other request).
   */
  join(caller: Caller, peeked: Peeked, waiter: W): "lead" | "wait" | "full" {
    const key = keyOf(caller, peeked.requestId);
    const entry = this.#entries.get(key);
    if (!entry) {
      this.#entries.set(key, { fingerprint: peeked.fingerprint, caller, waiters: [] });
      return "lead";
    }
    // Same id, other content: the pipeline refuses it (IDEMPOTENCY_KEY_REUSED); it must not wait.
    if (entry.fingerprint !== peeked.fingerprint) return "full";
    const p = principalOf(caller);
    const count = this.#waitingPerPrincipal.get(p) ?? 0;
    if (count >= this.#maxWaitingPerPrincipal) return "full";
    this.#waitingPerPrincipal.set(p, count + 1);
    this.#waiting += 1;
    entry.waiters.push(waiter);
    return "wait";
  }

  /** The leader was answered: returns its waiters, who are no longer held. */
  settle(caller: Caller, requestId: string): W[] {
    const key = keyOf(caller, requestId);
    const entry = this.#entries.get(key);
    if (!entry) return [];
    this.#entries.delete(key);
    const n = entry.waiters.length;
    if (n > 0) {
      const p = principalOf(caller);
      const left = (this.#waitingPerPrincipal.get(p) ?? 0) - n;
      if (left > 0) this.#waitingPerPrincipal.set(p, left);
      else this.#waitingPerPrincipal.delete(p);
      this.#waiting -= n;
    }
    return entry.waiters;
  }
}

// Names never contain '.', request ids neither: the key is unambiguous.
const keyOf = (c: Caller, requestId: string) => `${c.tenant}.${c.principal}.${requestId}`;
const principalOf = (c: Caller) => `${c.tenant}.${c.principal}`;
