import { CredvendError } from "@credvend/protocol";
import { commandTimeoutOf, replyWithin } from "./command-timeout.js";
import type { Redis } from "./connection.js";
import type { Redis as SingleRedis } from "ioredis";

/** Hint sent with CV_ERR_REDIS_UNAVAILABLE: about one reconnect attempt away. */
export const REDIS_RETRY_AFTER_MS = 1000;

const discoveredAddresses = new WeakMap<Redis, string>();

/**
 * Records how a client that discovers its servers is named in errors and logs: "cluster h:p,..."
 * (its seed nodes) or "sentinel h:p,.../NAME" (set by createRedis).
 */
export function setDiscoveryAddress(redis: Redis, kind: "cluster" | "sentinel", seeds: readonly { host: string; port: number }[], masterName?: string): void {
  discoveredAddresses.set(redis, `${kind} ${seeds.map((n) => `${n.host}:${n.port}`).join(",")}${masterName === undefined ? "" : `/${masterName}`}`);
}

/** host:port (or socket path) of a client, "cluster h:p,..." / "sentinel h:p,.../NAME" otherwise; never the URL, which may carry a password. */
export function redisAddress(redis: Redis): string {
  const discovered = discoveredAddresses.get(redis);
  if (discovered !== undefined) return discovered;
  if (redis.isCluster) return "cluster";
  const { host, port, path } = (redis as SingleRedis).options;
  return path ? path : `${host ?? "localhost"}:${port ?? 6379}`;
}

/**
 * Runs one Redis operation within the guard's command timeout (see command-timeout.ts); every
 * failure becomes CV_ERR_REDIS_UNAVAILABLE naming `what` failed.
 */
export async function callRedis<T>(redis: Redis, what: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await replyWithin(operation(), commandTimeoutOf(redis));
  } catch (err) {
    // Already a precise answer (e.g. too few replicas acknowledged a write).
    if (err instanceof CredvendError) throw err;
    throw redisUnavailable(redis, what, err);
  }
}

export function redisUnavailable(redis: Redis, what: string, cause: unknown): CredvendError {
  // A ReplyError means Redis answered (e.g. OOM, WRONGTYPE, a script error), not that it is down.
  const answered = cause instanceof Error && cause.name === "ReplyError";
  const state = answered ? "answered with an error" : `is unreachable or too slow (client ${redis.status})`;
  return new CredvendError("CV_ERR_REDIS_UNAVAILABLE", `${what} failed: Redis at ${redisAddress(redis)} ${state}; retry later`, {
    retryAfterMs: REDIS_RETRY_AFTER_MS,
    cause: withoutCommand(cause),
  });
}

/**
 * ioredis attaches the failed command (name and every argument) to reply errors. The arguments can
 * be an AUTH/HELLO password, reply bytes or a whole Lua script, and causes get logged: keep only
 * the error's name and message.
 */
export function withoutCommand(err: unknown): unknown {
  if (!(err instanceof Error) || !("command" in err)) return err;
  const copy = new Error(err.message);
  copy.name = err.name;
  return copy;
}
