import type { Redis } from "./connection.js";
import { RateLimiter, type RateLimit, type RateLimiterOptions } from "./rate-limiter.js";
import { callRedis } from "./redis-errors.js";
import { guardCommands, type GuardCommands } from "./scripts.js";

/** Reserved: proceed after `waitMs` (0: now) without asking again. Refused: nothing was reserved. */
export type RateReservation = { readonly reserved: true; readonly waitMs: number } | { readonly reserved: false; readonly retryAfterMs: number };

/**
 * GCRA with a queue (lua/gcra-reserve.lua): a request that would be allowed within `maxWaitMs`
 * takes its place in one round trip and is told how long to wait; callers are served in the order
 * they reached Redis. For a budget that smooths bursts by waiting (e.g. the fleet's STS calls);
 * RateLimiter.check, which reserves nothing when it refuses, is for limits that refuse.
 */
export class RateReservations {
  readonly #redis: Redis;
  readonly #commands: GuardCommands;
  // Its key format and checks (RateLimiter.keyed), so that both live in one place.
  readonly #limiter: RateLimiter;

  constructor(redis: Redis, options: RateLimiterOptions = {}) {
    this.#redis = redis;
    this.#commands = guardCommands(redis);
    this.#limiter = new RateLimiter(redis, options);
  }

  async reserve(hashTag: string, limit: RateLimit, maxWaitMs: number, quantity = 1): Promise<RateReservation> {
    if (!(Number.isFinite(maxWaitMs) && maxWaitMs >= 0)) throw new RangeError(`rate reservation maxWaitMs must be >= 0, got ${maxWaitMs}`);
    const { keys: [key], args: [, intervalUs, burst] } = this.#limiter.keyed([{ hashTag, limits: [limit] }], quantity);
    const [reserved, waitUs] = await callRedis(this.#redis, `rate reservation for {${hashTag}}`, () =>
      this.#commands.cvGcraReserve(key!, quantity, intervalUs!, burst!, maxWaitMs * 1000),
    );
    // Rounded up: waking a little late never lets more through than the limit.
    return reserved === 1 ? { reserved: true, waitMs: Math.ceil(waitUs / 1000) } : { reserved: false, retryAfterMs: Math.max(1, Math.ceil(waitUs / 1000)) };
  }
}
