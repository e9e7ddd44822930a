import { Cluster, Redis as SingleRedis, type RedisOptions } from "ioredis";
import { CredvendError } from "@credvend/protocol";
import { DEFAULT_COMMAND_TIMEOUT_MS, setCommandTimeout } from "./command-timeout.js";
import type { Redis } from "./connection.js";
import { redisAddress, REDIS_RETRY_AFTER_MS, setDiscoveryAddress, withoutCommand } from "./redis-errors.js";
import { isClusterUrl, isSentinelUrl, parseClusterUrl, parseSentinelUrl } from "./redis-url.js";
import { watchMaxmemoryPolicy } from "./maxmemory-policy.js";
import { redisClockOf, workerClockVsRedis } from "./redis-clock.js";
import { CLOCK_SKEW_FIX } from "./redis-warnings.js";

/**
 * Connection events: redis.ready, redis.error, redis.disconnected, redis.end, and once per
 * connection redis.maxmemory_policy (the server may evict keys) and redis.clock_skew (its clock is
 * more than a second off this worker's); guardEventLevel says how loud each is.
 */
export type GuardLogger = (event: string, detail: object) => void;

/** The log level of a GuardLogger event: a server that may evict keys is an error, other trouble a warning. */
export function guardEventLevel(event: string): "info" | "warn" | "error" {
  if (event === "redis.ready") return "info";
  if (event === "redis.maxmemory_policy") return "error";
  return "warn";
}

export interface CreateRedisOptions {
  /** Connection name (CLIENT SETNAME) and the `name` in log events. */
  name?: string;
  /** Per-command timeout. Default 250 ms. */
  commandTimeoutMs?: number;
  /** Connection events; called once per state change, never with the URL or password. */
  logger?: GuardLogger;
}

export { DEFAULT_COMMAND_TIMEOUT_MS };
export const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
// Reconnect backoff cap: after an outage the client is back within about this long.
const MAX_RECONNECT_DELAY_MS = 1000;
// How often a cluster client re-reads the slot map: after a failover the promoted replica's
// slots are found within about this long even when no command meets a MOVED redirection.
const SLOTS_REFRESH_MS = 1000;
const BACKSTOP_FACTOR = 4;

const reconnectDelay = (times: number): number => Math.min(50 * 2 ** Math.min(times - 1, 10), MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 50);

/**
 * An ioredis client that fails fast: a command never waits for a dead Redis (ioredis 6 defaults
 * take ~73 s to give up). It reconnects forever in the background, so one client outlives outages.
 * `url` is redis:// or rediss:// for one server, redis+cluster:// or rediss+cluster:// with seed
 * nodes for a Redis Cluster, redis+sentinel://…/NAME for a Sentinel-managed primary (redis-url.ts). Commands time out by the guard's own measure
 * (command-timeout.ts), not ioredis's, which a busy event loop trips.
 */
export function createRedis(url: string, options: CreateRedisOptions = {}): Redis {
  const timeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const common: RedisOptions = {
    ...(options.name === undefined ? {} : { connectionName: options.name }),
    // ioredis's own timer stays as a far longer backstop: a command whose reply never comes (its
    // connection went down mid-pipeline) would otherwise hold ioredis's auto-pipeline, and every
    // command after it, for good. It fires in a stall only past BACKSTOP_FACTOR × the timeout.
    commandTimeout: BACKSTOP_FACTOR * timeoutMs,
    // 0: the commands in flight when a connection closes are rejected at once. With 1, ioredis
    // keeps them for one reconnect and then, with autoResendUnfulfilledCommands off, drops them
    // unanswered: their promises (and the auto-pipeline behind them) would wait for the backstop.
    maxRetriesPerRequest: 0,
    connectTimeout: DEFAULT_CONNECT_TIMEOUT_MS,
    // A command whose caller already got a timeout must not run later: GCRA would consume twice.
    autoResendUnfulfilledCommands: false,
  };
  let redis: Redis;
  if (isClusterUrl(url)) {
    const parsed = parseClusterUrl(url);
    redis = new Cluster(parsed.nodes.map((n) => ({ host: n.host, port: n.port })), {
      redisOptions: {
        ...common,
        ...(parsed.username === undefined ? {} : { username: parsed.username }),
        ...(parsed.password === undefined ? {} : { password: parsed.password }),
        ...(parsed.tls ? { tls: {} } : {}),
      },
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      // Off: ioredis's own interval arms its next round from each refresh's callback, also once
      // the client is closed (quit() during a refresh), and then keeps the process alive for good.
      slotsRefreshInterval: 0,
      slotsRefreshTimeout: DEFAULT_CONNECT_TIMEOUT_MS,
      clusterRetryStrategy: reconnectDelay,
    });
    refreshSlotsPeriodically(redis, SLOTS_REFRESH_MS);
    setDiscoveryAddress(redis, "cluster", parsed.nodes);
  } else if (isSentinelUrl(url)) {
    const parsed = parseSentinelUrl(url);
    redis = new SingleRedis({
      ...common,
      sentinels: parsed.nodes.map((n) => ({ host: n.host, port: n.port })),
      name: parsed.masterName,
      // Only the primary takes writes; ioredis asks the Sentinels again after a failover.
      role: "master",
      ...(parsed.username === undefined ? {} : { username: parsed.username }),
      ...(parsed.password === undefined ? {} : { password: parsed.password }),
      ...(parsed.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      retryStrategy: reconnectDelay,
      sentinelRetryStrategy: reconnectDelay,
      // A write to a demoted primary (READONLY) reconnects to the one Sentinel names now.
      reconnectOnError: (err) => err.message.startsWith("READONLY"),
    });
    setDiscoveryAddress(redis, "sentinel", parsed.nodes, parsed.masterName);
  } else {
    redis = new SingleRedis(url, {
      ...common,
      enableOfflineQueue: false,
      // Commands issued in the same tick (many requests in flight) share one socket write.
      enableAutoPipelining: true,
      retryStrategy: reconnectDelay,
    });
  }
  setCommandTimeout(redis, timeoutMs);
  watchConnection(redis, options.name ?? "credvend", options.logger);
  watchServers(redis, options.name ?? "credvend", options.logger);
  return redis;
}

// What the guard needs of each server, read at each connection ready and said once per
// connection: maxmemory-policy noeviction, and a clock near this worker's. Kept for readiness
// (redisWarnings). The clock also times every claim (redis-clock.ts): made here, it is read as
// soon as the client connects.
function watchServers(redis: Redis, name: string, logger: GuardLogger | undefined): void {
  watchMaxmemoryPolicy(redis, (finding) => logger?.("redis.maxmemory_policy", { name, address: finding.address, policy: finding.policy, fix: finding.fix }));
  redisClockOf(redis).reportTo((address, offsetMs) => logger?.("redis.clock_skew", { name, address, offsetMs, fix: `${workerClockVsRedis(offsetMs)}: ${CLOCK_SKEW_FIX}` }));
}

/**
 * Re-reads the slot map every `everyMs` while the client is ready, so a failover's promoted
 * replica is found even when no command meets a MOVED redirection. The timer never keeps the
 * process alive and ends with the client.
 */
function refreshSlotsPeriodically(cluster: Cluster, everyMs: number): void {
  const timer = setInterval(() => {
    // A refresh already under way absorbs this one (ioredis runs one at a time).
    if (cluster.status === "ready") cluster.refreshSlotsCache();
  }, everyMs);
  timer.unref();
  cluster.once("end", () => clearInterval(timer));
}

// An "error" listener is mandatory (an unhandled one crashes the process). During an outage every
// reconnect attempt errors and closes again, so only state changes are reported: the first close
// after "ready", the first error of each outage, "ready" again, and the final "end".
function watchConnection(redis: Redis, name: string, logger: GuardLogger | undefined): void {
  const address = redisAddress(redis);
  let ready = false;
  let reportedError = false;
  redis.on("error", (err: unknown) => {
    if (reportedError) return;
    reportedError = true;
    logger?.("redis.error", { name, address, error: errorMessage(err) });
  });
  redis.on("ready", () => {
    ready = true;
    reportedError = false;
    logger?.("redis.ready", { name, address });
  });
  redis.on("close", () => {
    if (!ready) return;
    ready = false;
    logger?.("redis.disconnected", { name, address });
  });
  redis.on("end", () => logger?.("redis.end", { name, address }));
}

/** Resolves when the client is ready; CV_ERR_REDIS_UNAVAILABLE after `timeoutMs`. */
export async function waitReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === "ready") return;
  const address = redisAddress(redis);
  if (redis.status === "end") {
    throw new CredvendError("CV_ERR_REDIS_UNAVAILABLE", `Redis client for ${address} was closed`, { retryAfterMs: REDIS_RETRY_AFTER_MS });
  }
  if (redis.status === "wait") void redis.connect().catch(() => undefined);
  let lastError: unknown;
  let onReady = (): void => undefined;
  const onError = (err: unknown): void => {
    lastError = err;
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      onReady = resolve;
      redis.once("ready", onReady);
      redis.on("error", onError);
      timer = setTimeout(() => {
        const why = lastError === undefined ? "" : ` (last error: ${errorMessage(lastError)})`;
        reject(new CredvendError("CV_ERR_REDIS_UNAVAILABLE", `Redis at ${address} is unreachable: not ready within ${timeoutMs} ms${why}`, {
          retryAfterMs: REDIS_RETRY_AFTER_MS,
          cause: withoutCommand(lastError),
        }));
      }, timeoutMs);
    });
  } finally {
    clearTimeout(timer);
    redis.removeListener("ready", onReady);
    redis.removeListener("error", onError);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
