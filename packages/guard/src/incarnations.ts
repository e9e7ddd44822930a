// When this client first saw each Redis process (by INFO run_id), on Redis's own clock. A process
// seen alive at time F started before F, so F bounds its start from above more tightly than
// INFO's whole-second uptime does: the tenant epoch of a process that lost its data can be F,
// and a request sent after the client reconnected is served (see lua/tenant-epoch.lua).
import type { Redis as SingleRedis } from "ioredis";
import { commandTimeoutOf, replyWithin } from "./command-timeout.js";
import type { Redis } from "./connection.js";
import { watchNodes } from "./server-nodes.js";

// The hint goes with every claim: the processes of a 3 to 8 node cluster and a restart or two of
// each (about 50 bytes apiece). A process forgotten here still gets the whole-second bound.
const MAX_REMEMBERED = 16;
// Tries per probe, a short pause apart; a probe left unanswered starts again at the next claim.
const PROBE_ATTEMPTS = 3;
const PROBE_RETRY_MS = 50;

export class Incarnations {
  readonly #firstSeen = new Map<string, number>();
  readonly #probes = new Set<Promise<void>>();
  /** Connections whose last probe got no answer: probed again by the next settled(). */
  readonly #unanswered = new Set<SingleRedis>();
  readonly #timeoutMs: number;

  constructor(redis: Redis) {
    this.#timeoutMs = commandTimeoutOf(redis);
    watchNodes(redis, { ready: (node) => this.#probe(node) });
  }

  /** Resolves once the probes of newly (re)connected processes are answered (or timed out). */
  async settled(): Promise<void> {
    for (const node of this.#unanswered) {
      this.#unanswered.delete(node);
      if (node.status === "ready") this.#probe(node);
    }
    if (this.#probes.size > 0) await Promise.all(this.#probes);
  }

  /** "run_id:ms,..." for the scripts. */
  hint(): string {
    return [...this.#firstSeen].map(([id, ms]) => `${id}:${ms}`).join(",");
  }

  // A probe that gets no answer is sent again while the connection stays up: without the hint, the
  // first claim of a tenant writes the whole-second bound as its epoch for good, and every request
  // sent in the rest of that second is refused as stale. Each claim waits for the probes
  // (settled()), so the retries are bounded: a Redis that answers none of them fails the claim too,
  // and the next claim probes again.
  #probe(node: SingleRedis): void {
    const probe = (async () => {
      for (let attempt = 1; attempt <= PROBE_ATTEMPTS && node.status === "ready"; attempt += 1) {
        const sent = node.info("server");
        // A reply that comes after the timeout still tells when the process was alive (the time
        // in it is when Redis ran the command, not when it arrived), and is the earliest reading
        // there may ever be: without it, a worker whose start-up probes were all slow would
        // first see the process at its first claim, after that request was sent.
        sent.then((info) => this.#remember(info), () => undefined);
        if (await replyWithin(sent, this.#timeoutMs).then(() => true, () => false)) return;
        if (attempt < PROBE_ATTEMPTS) await new Promise((r) => setTimeout(r, PROBE_RETRY_MS));
      }
      this.#unanswered.add(node);
    })().finally(() => this.#probes.delete(probe));
    this.#probes.add(probe);
  }

  #remember(info: string): void {
    const runId = /run_id:([0-9a-f]+)/.exec(info)?.[1];
    const usec = /server_time_usec:(\d+)/.exec(info)?.[1];
    if (runId === undefined || usec === undefined) return;
    const seenMs = Math.floor(Number(usec) / 1000);
    // Replies may arrive out of order (a late one after a retry's): the earliest time wins.
    if ((this.#firstSeen.get(runId) ?? Infinity) <= seenMs) return;
    this.#firstSeen.set(runId, seenMs);
    if (this.#firstSeen.size > MAX_REMEMBERED) this.#firstSeen.delete(this.#firstSeen.keys().next().value ?? "");
  }
}

const byClient = new WeakMap<Redis, Incarnations>();

/** One watcher per client, shared by every store on it. */
export function incarnationsOf(redis: Redis): Incarnations {
  let known = byClient.get(redis);
  if (!known) {
    known = new Incarnations(redis);
    byClient.set(redis, known);
  }
  return known;
}
