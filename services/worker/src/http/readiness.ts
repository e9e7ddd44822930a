// Readiness: what a worker needs to vend. Each check is a small function returning the reason it
// is not ready (undefined when it is), so /readyz can say what is wrong; and, while it is ready,
// what an operator should still fix (warnings, listed by /readyz with its 200).
import { redisWarnings, type Redis } from "@credvend/guard";
import { Events, type NatsConnection } from "nats";
import type { ReplyKeyReadiness } from "../aws/reply-key.js";
import type { ConfigHolder } from "../config-holder.js";

export interface ReadinessCheck {
  readonly name: string;
  /** Why the worker is not ready, or undefined. Fast: reads state, never waits on a server. */
  notReady(): string | undefined;
  /** What to fix although the worker can vend (e.g. a Redis that may evict keys). Fast, as notReady. */
  warnings?(): readonly string[];
}

/** Follows the connection's status events: reconnecting means not ready (requests are not received). */
export function natsCheck(nc: NatsConnection): ReadinessCheck {
  let connected = true;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === Events.Disconnect) connected = false;
      if (s.type === Events.Reconnect) connected = true;
    }
  })().catch(() => undefined);
  return {
    name: "nats",
    notReady: () => (nc.isClosed() ? "NATS connection closed" : connected ? undefined : "NATS disconnected (reconnecting)"),
  };
}

/**
 * Not ready while the connection is down. A maxmemory-policy other than noeviction, or a skewed
 * clock, is a warning, not a 503: the worker still vends correctly unless Redis fills up, and
 * taking every worker out of service over it (ElastiCache's default policy) would be an outage.
 */
export function redisCheck(redis: Redis): ReadinessCheck {
  return {
    name: "redis",
    notReady: () => (redis.status === "ready" ? undefined : `Redis not ready (connection ${redis.status})`),
    warnings: () => redisWarnings(redis).map((w) => w.message),
  };
}

export function configCheck(config: ConfigHolder): ReadinessCheck {
  return {
    name: "config",
    notReady: () => {
      try {
        config.current();
        return undefined;
      } catch (error) {
        return `no config loaded: ${(error as Error).message}`;
      }
    },
    // The config in use still vends; not being able to follow new versions is for an operator to fix.
    warnings: () => {
      const problem = config.status().sourceProblem;
      return problem ? [problem] : [];
    },
  };
}

/** The reply key, as the worker's own check last found it (DescribeKey at start and in the background). */
export function replyKeyCheck(readiness: () => ReplyKeyReadiness): ReadinessCheck {
  return {
    name: "reply-key",
    notReady: () => {
      const r = readiness();
      return r.state === "ready" ? undefined : `${r.problem} (${r.reason})`;
    },
  };
}
