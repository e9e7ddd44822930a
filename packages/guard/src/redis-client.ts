import { Redis } from "ioredis";
import { CredvendError } from "@credvend/protocol";
import { redisAddress, REDIS_RETRY_AFTER_MS, withoutCommand } from "./redis-errors.js";

export type GuardLogger = (event: string, detail: object) => void;

export interface CreateRedisOptions {
  /** Connection name (CLIENT SETNAME) and the `name` in log events. */
  name?: string;
  /** Per-command timeout. Default 250 ms. */
  commandTimeoutMs?: number;
  /** Connection events; called once per state change, never with the URL or password. */
  logger?: GuardLogger;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 250;
export const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
// Reconnect backoff cap: after an outage the client is back within about this long.
const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * An ioredis client that fails fast: a command never waits for a dead Redis (ioredis 6 defaults
 * take ~73 s to give up). It reconnects forever in the background, so one client outlives outages.
 */
export function createRedis(url: string, options: CreateRedisOptions = {}): Redis {
  const redis = new Redis(url, {
    ...(options.name === undefined ? {} : { connectionName: options.name }),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: DEFAULT_CONNECT_TIMEOUT_MS,
    // A command whose caller already got a timeout must not run later: GCRA would consume twice.
    autoResendUnfulfilledCommands: false,
    // Commands issued in the same tick (many requests in flight) share one socket write.
    enableAutoPipelining: true,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times - 1, 10), MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 50),
  });
  watchConnection(redis, options.name ?? "credvend", options.logger);
  return redis;
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
  if (redis.status === "wait") redis.connect().catch(() => undefined);
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
