// Readiness: what a worker needs to vend. Each check is a small function returning the reason it
// is not ready (undefined when it is), so /readyz can say what is wrong.
import type { Redis } from "@credvend/guard";
import { Events, type NatsConnection } from "nats";
import type { ReplyKeyReadiness } from "../aws/reply-key.js";
import type { ConfigHolder } from "../config-holder.js";

export interface ReadinessCheck {
  readonly name: string;
  /** Why the worker is not ready, or undefined. Fast: reads state, never waits on a server. */
  notReady(): string | undefined;
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

export function redisCheck(redis: Redis): ReadinessCheck {
  return { name: "redis", notReady: () => (redis.status === "ready" ? undefined : `Redis not ready (connection ${redis.status})`) };
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
