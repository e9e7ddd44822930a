// The guard's own command timeout. It measures how long Redis leaves a command unanswered, not
// how long this process's event loop was busy: ioredis's `commandTimeout` timer fires in the
// timers phase, before the poll phase reads a reply that arrived during a stall (a burst of
// synchronous work), so under load healthy Redis replies were reported as CV_ERR_REDIS_UNAVAILABLE.
import type { Redis } from "./connection.js";

export const DEFAULT_COMMAND_TIMEOUT_MS = 250;

/** The message ioredis uses for its own timeouts, which callers already recognise. */
export const COMMAND_TIMED_OUT = "Command timed out";

const timeouts = new WeakMap<Redis, number>();

/** Records the timeout the guard applies to every command of `redis` (set by createRedis). */
export function setCommandTimeout(redis: Redis, ms: number): void {
  timeouts.set(redis, ms);
}

/** The guard's timeout for `redis`: createRedis's, else ioredis's own option, else the default. */
export function commandTimeoutOf(redis: Redis): number {
  const own = timeouts.get(redis);
  if (own !== undefined) return own;
  const options = redis.isCluster ? (redis.options as { redisOptions?: { commandTimeout?: number } }).redisOptions : (redis.options as { commandTimeout?: number });
  return options?.commandTimeout ?? DEFAULT_COMMAND_TIMEOUT_MS;
}

/**
 * Resolves as `pending` does, or rejects with "Command timed out" once Redis has had `ms` of a
 * responsive event loop to answer. When the timer fires, one setImmediate lets the poll phase read
 * replies that are already in the socket; and when the timer fired late (the loop was stalled, so
 * the command may have been written only at the end of the stall) Redis gets one more full `ms`.
 * A hung Redis on an idle loop still fails after `ms`; with a stall, after `ms` + stall + `ms`.
 */
export function replyWithin<T>(pending: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    pending.then(
      (value) => { settled = true; clearTimeout(timer); resolve(value); },
      (error: unknown) => { settled = true; clearTimeout(timer); reject(error); },
    );
    const arm = (extended: boolean): void => {
      const due = performance.now() + ms;
      timer = setTimeout(() => {
        const lateMs = performance.now() - due;
        setImmediate(() => {
          if (settled) return;
          if (!extended && lateMs > stallThresholdMs(ms)) arm(true);
          else reject(new Error(COMMAND_TIMED_OUT));
        });
      }, ms);
    };
    arm(false);
  });
}

// A timer late by more than a quarter of its time saw a stalled loop, not a slow Redis: the
// ordinary lag of a loaded process is a few milliseconds.
function stallThresholdMs(ms: number): number {
  return ms / 4;
}
