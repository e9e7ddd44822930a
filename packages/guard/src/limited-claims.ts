import type { Redis } from "./connection.js";
import type { ClaimOptions, IdempotencyScope, IdempotencyStore, LimitedClaimResult } from "./idempotency-store.js";
import type { LimitGroup, RateLimiter } from "./rate-limiter.js";

/**
 * A fresh request's rate limits, every one it is subject to, then its idempotency claim,
 * in one atomic round trip (IdempotencyStore.claimWithLimits). Limits first, so refusals that
 * reach the claim, replays and duplicates are charged; all-or-nothing, so a request a limit
 * refuses consumes nothing and claims nothing.
 *
 * One exception, Redis Cluster: the keys of one script must share a slot, and the claim lives in
 * the caller's tenant's slot (hash tag `{tenant}`). Limits under another hash tag (a request
 * on_behalf_of another tenant charges that tenant's buckets) are checked first, each in its own
 * round trip, and the claim comes last with the caller's own limits. There a refusal by the
 * caller's limits leaves the other tenant's limits charged. A single Redis or Sentinel takes
 * every key in one script.
 */
export class LimitedClaims {
  readonly #store: IdempotencyStore;
  readonly #limiter: RateLimiter;
  readonly #cluster: boolean;

  constructor(redis: Redis, store: IdempotencyStore, limiter: RateLimiter) {
    this.#store = store;
    this.#limiter = limiter;
    this.#cluster = redis.isCluster;
  }

  /** `limits`: by hash tag; the caller's tenant's share the claim's slot. */
  async claim(scope: IdempotencyScope, requestId: string, fingerprint: string, limits: readonly LimitGroup[], options: ClaimOptions = {}): Promise<LimitedClaimResult> {
    // Checks every limit (and that no key repeats) before any I/O.
    const all = this.#limiter.keyed(limits);
    if (!this.#cluster) return this.#store.claimWithLimits(scope, requestId, fingerprint, all, options);
    const own = limits.filter((group) => group.hashTag === scope.tenant);
    for (const group of limits) {
      if (group.hashTag === scope.tenant || group.limits.length === 0) continue;
      const decision = await this.#limiter.check(group.hashTag, group.limits);
      if (!decision.allowed) return { state: "limited", decision: { ...decision, allowed: false } };
    }
    return this.#store.claimWithLimits(scope, requestId, fingerprint, this.#limiter.keyed(own), options);
  }
}
