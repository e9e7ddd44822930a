// What an operator should fix about the Redis a client uses while it still works: for a worker's
// readiness details (it stays ready: the guard keeps its promises, at a risk the warning names).
import type { Redis } from "./connection.js";
import { maxmemoryPolicyFindings } from "./maxmemory-policy.js";
import { CLOCK_SKEW_WARNING_MS, redisClockOf, workerClockVsRedis } from "./redis-clock.js";

export type RedisWarning =
  /** The server may evict keys: an evicted idempotency record lets its request id be issued twice. */
  | { readonly kind: "maxmemory-policy"; readonly address: string; readonly policy: string; readonly message: string }
  /** Redis's clock and this worker's differ by more than CLOCK_SKEW_WARNING_MS. */
  | { readonly kind: "clock-skew"; readonly address: string; readonly offsetMs: number; readonly message: string };

/** The warnings about `redis` as last checked (each connection ready, and periodically); fast, never waits on Redis. */
export function redisWarnings(redis: Redis): RedisWarning[] {
  const policies = maxmemoryPolicyFindings(redis).map((f): RedisWarning => ({
    kind: "maxmemory-policy", address: f.address, policy: f.policy, message: `Redis at ${f.address} has maxmemory-policy ${f.policy}: ${f.fix}`,
  }));
  const skews = redisClockOf(redis).offsets().filter((o) => Math.abs(o.offsetMs) > CLOCK_SKEW_WARNING_MS).map((o): RedisWarning => ({
    kind: "clock-skew", address: o.address, offsetMs: Math.round(o.offsetMs), message: `${workerClockVsRedis(o.offsetMs)} at ${o.address}: ${CLOCK_SKEW_FIX}`,
  }));
  return [...policies, ...skews];
}

/** What to do about a skewed clock, and why it still matters once claims are timed on Redis's clock. */
export const CLOCK_SKEW_FIX = "sync the clocks of the workers and the Redis servers (chrony or NTP). Claims are timed on Redis's clock, "
  + "but a request's client_time_ms is checked against this worker's clock (the replay window) and against Redis's (the restart fence)";
