// The server connections of a client, for checks that read each Redis process (its clock, its
// settings): the client itself, or every node of a Redis Cluster, each as it becomes ready.
import { Command, type Cluster, type Redis as SingleRedis } from "ioredis";
import type { Redis } from "./connection.js";
import { keySlot } from "./key-slot.js";
import { redisAddress } from "./redis-errors.js";

export interface NodeWatch {
  /** A connection became ready (first connect, or a reconnect, possibly to another process). */
  ready(node: SingleRedis): void;
  /** Called every `everyMs` with each ready connection. */
  periodic?: { readonly everyMs: number; run(node: SingleRedis): void };
  /** A cluster node left the slot map. */
  removed?(node: SingleRedis): void;
}

/** Follows every server connection of `redis` until the client ends; timers never keep the process alive. */
export function watchNodes(redis: Redis, watch: NodeWatch): void {
  const follow = (node: SingleRedis): void => {
    node.on("ready", () => watch.ready(node));
    if (node.status === "ready") watch.ready(node);
  };
  if (redis.isCluster) {
    const cluster = redis as Cluster;
    cluster.on("+node", (node: SingleRedis) => follow(node));
    if (watch.removed) cluster.on("-node", (node: SingleRedis) => watch.removed?.(node));
    for (const node of cluster.nodes("all")) follow(node);
  } else {
    follow(redis as SingleRedis);
  }
  const periodic = watch.periodic;
  if (periodic === undefined) return;
  const timer = setInterval(() => {
    for (const node of serverNodes(redis)) if (node.status === "ready") periodic.run(node);
  }, periodic.everyMs);
  timer.unref();
  redis.once("end", () => clearInterval(timer));
}

/** Every server connection of `redis` now. */
export function serverNodes(redis: Redis): SingleRedis[] {
  return redis.isCluster ? (redis as Cluster).nodes("all") : [redis as SingleRedis];
}

/** The connection that serves `key`: the client itself, or the cluster primary its slot map names (undefined if none is known). */
export function nodeOfKey(redis: Redis, key: string): SingleRedis | undefined {
  if (!redis.isCluster) return redis as SingleRedis;
  const cluster = redis as Cluster;
  const nodeKey = cluster.slots[keySlot(key)]?.[0];
  return nodeKey === undefined ? undefined : cluster.nodes("master").find((n) => nodeAddress(n) === nodeKey);
}

/** host:port of one server connection (the form of a cluster's slot map), or its socket path. */
export function nodeAddress(node: SingleRedis): string {
  const { host, port, path } = node.options;
  return path ? path : `${host ?? "localhost"}:${port ?? 6379}`;
}

/** How errors and logs name one server of `redis`: the node's host:port in a cluster, else the client's address (redisAddress). */
export function serverAddress(redis: Redis, node: SingleRedis): string {
  return redis.isCluster ? nodeAddress(node) : redisAddress(redis);
}

/**
 * Sends one command to `node` on its own, outside ioredis's auto-pipelining. An auto-pipeline
 * opened at "ready" stays open until the next check phase, and a pipeline lacks the scripts
 * defined after it was made (guardCommands, called by a store built on "ready"): their first
 * calls, appended to it, failed with "pipeline[functionName] is not a function".
 */
export function sendAlone(node: SingleRedis, name: string, ...args: string[]): Promise<unknown> {
  const command = new Command(name, args, { replyEncoding: "utf8" });
  void node.sendCommand(command);
  return command.promise;
}
