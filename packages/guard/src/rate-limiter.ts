import type { Redis } from "./connection.js";
import { callRedis } from "./redis-errors.js";
import { guardCommands, type GuardCommands } from "./scripts.js";

export interface RateLimit {
  /** Caller-chosen identity of the limit, e.g. "acme:principal:demo-app". The guard adds its prefix and the hash tag. */
  key: string;
  /** Sustained rate. May be fractional (0.5 = one request every 2 s). */
  perSecond: number;
  /** Requests that may arrive at once after an idle period (>= 1). */
  burst: number;
}

export interface RateDecision {
  allowed: boolean;
  /** 0 when allowed; else how long until this request (same quantity) would be allowed. */
  retryAfterMs: number;
  /** The key of the limit that must wait longest, when refused. */
  limitedBy?: string;
  /** Minimum over all limits of how many more unit requests fit right now (Infinity with no limits). */
  remaining: number;
}

/** Limits whose keys share one hash tag (e.g. a tenant): one Redis Cluster slot. */
export interface LimitGroup {
  hashTag: string;
  limits: readonly RateLimit[];
}

/**
 * Limits as the scripts take them (gcra.lua, idem-claim-limited.lua): the full keys, and the arguments
 * quantity, then (emission interval µs, burst) per limit. Made by RateLimiter.keyed, which checks
 * them, so that the key format and the checks live in one place whichever script sends them.
 */
export interface KeyedLimits {
  /** Every limit, in the order of `keys`. */
  readonly limits: readonly RateLimit[];
  readonly keys: readonly string[];
  readonly args: readonly number[];
}

export interface RateLimiterOptions {
  /** Key prefix. Default "credvend:rl". */
  prefix?: string;
}

export const DEFAULT_RATE_LIMIT_PREFIX = "credvend:rl";

/** GCRA limits in Redis: every limit of a request is checked and consumed in one atomic round trip. */
export class RateLimiter {
  readonly #redis: Redis;
  readonly #commands: GuardCommands;
  readonly #prefix: string;

  constructor(redis: Redis, options: RateLimiterOptions = {}) {
    this.#redis = redis;
    this.#commands = guardCommands(redis);
    this.#prefix = options.prefix ?? DEFAULT_RATE_LIMIT_PREFIX;
  }

  /**
   * Allowed only if every limit allows `quantity` now; only then is anything consumed.
   * `hashTag` (e.g. the tenant) puts all keys of the call in one Redis Cluster slot.
   */
  async check(hashTag: string, limits: readonly RateLimit[], quantity = 1): Promise<RateDecision> {
    const keyed = this.keyed([{ hashTag, limits }], quantity);
    if (keyed.keys.length === 0) return { allowed: true, retryAfterMs: 0, remaining: Infinity };
    const [allowed, retryAfterUs, limitedBy, remaining] = await callRedis(this.#redis, `rate limit check for {${hashTag}}`, () =>
      this.#commands.cvGcra(keyed.keys.length, ...keyed.keys, ...keyed.args),
    );
    return allowed === 1 ? { allowed: true, retryAfterMs: 0, remaining } : refusal(keyed, retryAfterUs, limitedBy, remaining);
  }

  /**
   * The limits of `groups` as a script takes them (for one atomic check of limits under several
   * hash tags, e.g. with an idempotency claim: IdempotencyStore.claimWithLimits). Checked here,
   * before any I/O; a key may appear only once in all.
   */
  keyed(groups: readonly LimitGroup[], quantity = 1): KeyedLimits {
    const limits: RateLimit[] = [];
    const keys: string[] = [];
    const args: number[] = [quantity];
    if (!Number.isInteger(quantity) || quantity < 1) throw new RangeError(`rate limit quantity must be an integer >= 1, got ${quantity}`);
    for (const { hashTag, limits: group } of groups) {
      validate(hashTag, group, quantity);
      for (const limit of group) {
        const key = `${this.#prefix}:{${hashTag}}:${limit.key}`;
        if (keys.includes(key)) throw new RangeError(`rate limit key ${JSON.stringify(key)} appears twice in one check`);
        limits.push(limit);
        keys.push(key);
        args.push(1e6 / limit.perSecond, limit.burst);
      }
    }
    return { limits, keys, args };
  }
}

/** The decision for a refusal a script reported: limitedBy is the 1-based index of the limit that must wait longest. */
export function refusal(keyed: KeyedLimits, retryAfterUs: number, limitedBy: number, remaining: number): RateDecision & { allowed: false } {
  const limit = keyed.limits[limitedBy - 1];
  return {
    allowed: false,
    retryAfterMs: Math.max(1, Math.ceil(retryAfterUs / 1000)),
    ...(limit === undefined ? {} : { limitedBy: limit.key }),
    remaining,
  };
}

// Programmer errors (bad configuration), not request errors: thrown as RangeError before any I/O.
function validate(hashTag: string, limits: readonly RateLimit[], quantity: number): void {
  if (hashTag === "" || /[{}]/.test(hashTag)) throw new RangeError(`rate limit hash tag ${JSON.stringify(hashTag)} must be non-empty without braces`);
  const seen = new Set<string>();
  for (const limit of limits) {
    if (limit.key === "") throw new RangeError("rate limit key must not be empty");
    if (seen.has(limit.key)) throw new RangeError(`rate limit key ${JSON.stringify(limit.key)} appears twice in one check`);
    seen.add(limit.key);
    if (!(Number.isFinite(limit.perSecond) && limit.perSecond > 0)) throw new RangeError(`rate limit ${limit.key}: perSecond must be > 0, got ${limit.perSecond}`);
    if (!Number.isInteger(limit.burst) || limit.burst < 1) throw new RangeError(`rate limit ${limit.key}: burst must be an integer >= 1, got ${limit.burst}`);
    // Such a request could never pass: refusing it with a retry hint would make callers wait forever.
    if (quantity > limit.burst) throw new RangeError(`rate limit ${limit.key}: quantity ${quantity} exceeds burst ${limit.burst}`);
  }
}
