// Buckets Redis has just refused, remembered until their retry-after, so a caller flooding past its
// limit is refused by the worker itself instead of costing a Redis round trip per request.
// Exact, never stricter than Redis: GCRA state only moves later while a bucket refuses (a refusal
// writes nothing, and grants on other workers push it later still), so a bucket refused with
// retry-after R refuses every request in the next R ms. R is counted from before the Redis call,
// which Redis answered at that time or later. Entries are keyed with the limit's rate and burst, so
// a config change that alters them starts afresh.
import type { RateDecision } from "@credvend/guard";
import type { ScopedLimit } from "./rate-limit.js";

/**
 * Resolves once the I/O already waiting has been handled (the event loop's check phase). A refusal
 * answered from memory takes no I/O, so a flood of them would otherwise run in one stretch ahead of
 * every other caller's Redis, KMS and STS replies, as the Redis round trip it replaces never did.
 */
export function afterPendingIo(): Promise<void> {
  // One wait per turn of the loop, shared: the refusals of one turn are answered together, so their
  // replies still leave in one NATS write.
  nextTurn ??= new Promise((resolve) => setImmediate(() => {
    nextTurn = undefined;
    resolve();
  }));
  return nextTurn;
}
let nextTurn: Promise<void> | undefined;

/** Longest refusal remembered: a limit slower than this is asked of Redis again once a minute. */
const MAX_REMEMBERED_MS = 60_000;

const bucketOf = (limit: ScopedLimit): string => `${limit.key}\u0000${limit.perSecond}\u0000${limit.burst}`;

export interface RefusedBucketsOptions {
  readonly maxEntries: number;
  /**
   * A monotonic clock (ms): only durations are measured, so neither a wall clock that steps nor the
   * worker's request clock (which tests move) can make a bucket refuse longer than Redis would.
   */
  readonly now?: () => number;
}

export class RefusedBuckets {
  readonly #until = new Map<string, number>();
  readonly #now: () => number;

  constructor(private readonly options: RefusedBucketsOptions) {
    this.#now = options.now ?? (() => performance.now());
  }

  /** The clock `remember` expects its `sentAtMs` on. */
  now(): number {
    return this.#now();
  }

  /** A refusal for the first of `limits` known to refuse now, or undefined: ask Redis. */
  check(limits: readonly ScopedLimit[]): RateDecision | undefined {
    if (this.#until.size === 0) return undefined;
    const now = this.#now();
    for (const limit of limits) {
      const bucket = bucketOf(limit);
      const until = this.#until.get(bucket);
      if (until === undefined) continue;
      if (until > now) return { allowed: false, retryAfterMs: until - now, limitedBy: limit.key, remaining: 0 };
      this.#until.delete(bucket);
    }
    return undefined;
  }

  /**
   * The refusal to answer from memory, once the I/O already waiting has run (afterPendingIo), or
   * undefined: ask Redis. What every stage that asks the limiter calls first.
   */
  refusal(limits: readonly ScopedLimit[]): Promise<RateDecision> | undefined {
    const known = this.check(limits);
    return known && afterPendingIo().then(() => known);
  }

  /** Redis refused with `decision` for a call sent at `sentAtMs` (on `now()`): its limit refuses until then + retry-after. */
  remember(decision: RateDecision, limits: readonly ScopedLimit[], sentAtMs: number): void {
    const limit = limits.find((l) => l.key === decision.limitedBy);
    if (decision.allowed || limit === undefined || !(decision.retryAfterMs > 0)) return;
    const bucket = bucketOf(limit);
    this.#until.delete(bucket);
    if (this.#until.size >= this.options.maxEntries) {
      const oldest = this.#until.keys().next();
      if (oldest.done !== true) this.#until.delete(oldest.value);
    }
    this.#until.set(bucket, sentAtMs + Math.min(decision.retryAfterMs, MAX_REMEMBERED_MS));
  }
}
