// @credvend/guard: Redis-backed guards. Idempotency records and GCRA rate limits, each one Lua round trip,
// and a fresh request's limits and claim together in one (LimitedClaims).
export type { Redis } from "./connection.js";
export { createRedis, waitReady, guardEventLevel, DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, type CreateRedisOptions, type GuardLogger } from "./redis-client.js";
export { redisWarnings, type RedisWarning } from "./redis-warnings.js";
export { RedisClockSkewError, CLOCK_SKEW_WARNING_MS } from "./redis-clock.js";
export { REQUIRED_MAXMEMORY_POLICY } from "./maxmemory-policy.js";
export { isClusterUrl, isSentinelUrl, parseClusterUrl, parseSentinelUrl, type ClusterUrl, type SentinelUrl } from "./redis-url.js";
export { redisAddress, REDIS_RETRY_AFTER_MS } from "./redis-errors.js";
export { RateLimiter, DEFAULT_RATE_LIMIT_PREFIX, type RateLimit, type RateDecision, type RateLimiterOptions, type LimitGroup, type KeyedLimits } from "./rate-limiter.js";
export { RateReservations, type RateReservation } from "./rate-reservations.js";
export { LimitedClaims } from "./limited-claims.js";
export {
  IdempotencyStore,
  DEFAULT_IDEMPOTENCY_PREFIX,
  DEFAULT_LEASE_MS,
  DEFAULT_DONE_TTL_MS,
  DEFAULT_FENCE_MARGIN_MS,
  DEFAULT_REPLICA_WAIT_MS,
  LATE_COMMAND_ALLOWANCE_MS,
  type ClaimOptions,
  type ClaimResult,
  type LimitedClaimResult,
  type IdempotencyScope,
  type IdempotencyStoreOptions,
  type AwaitResultOptions,
} from "./idempotency-store.js";
export { ReuseOwners, DEFAULT_REUSE_OWNER_PREFIX, DATA_KEY_OWNER_PREFIX } from "./reuse-owners.js";
