// A guard script followed by WAIT, on one connection to the one server that runs the script.
//
// WAIT counts the writes a connection made before it. A cluster client routes a pipeline's keyless
// WAIT on its own: while a primary fails over, ioredis was seen sending a pipeline's WAIT to another
// primary than its script (which then answered for that primary's replica), and it answers a
// NOSCRIPT with a second EVAL sent after the WAIT. Either way a write no replica had was counted as
// replicated, and a failover lost it. So the script and its WAIT go down one connection, as
// EVALSHA (EVAL after NOSCRIPT, which ran nothing), and the cluster's routing is not asked.
import type { Cluster, Redis as SingleRedis } from "ioredis";
import { CredvendError } from "@credvend/protocol";
import type { Redis } from "./connection.js";
import { keySlot } from "./key-slot.js";
import { redisAddress, REDIS_RETRY_AFTER_MS } from "./redis-errors.js";
import { guardScript, type GuardScriptName } from "./scripts.js";

export interface ReplicaWait {
  readonly replicas: number;
  readonly timeoutMs: number;
}

/**
 * Runs `name` with `keys` and `args` on the server of keys[0], then WAIT: the script's reply once
 * `wait.replicas` replicas have its writes, else CV_ERR_REDIS_UNAVAILABLE. Bulk replies are Buffers.
 */
export async function runReplicated(redis: Redis, name: GuardScriptName, keys: readonly string[], args: readonly (string | number | Buffer)[], wait: ReplicaWait, what: string): Promise<unknown> {
  const [first] = keys;
  if (first === undefined) throw new RangeError(`${name} needs a key`);
  const server = serverOf(redis, first, what);
  const script = guardScript(name);
  if (script.numberOfKeys !== undefined && script.numberOfKeys !== keys.length) throw new RangeError(`${name} takes ${script.numberOfKeys} keys, got ${keys.length}`);
  const run = async (body: "sha" | "lua"): Promise<[Error | null, unknown][]> => {
    const pipeline = server.pipeline();
    if (body === "sha") pipeline.callBuffer("evalsha", script.sha, keys.length, ...keys, ...args);
    else pipeline.callBuffer("eval", script.lua, keys.length, ...keys, ...args);
    return (await pipeline.wait(wait.replicas, wait.timeoutMs).exec()) ?? [];
  };
  let results = await run("sha");
  if (isNoScript(results[0]?.[0])) results = await run("lua");
  const [reply, acknowledgement] = results;
  if (!reply || !acknowledgement) throw new Error(`${what}: the pipeline returned no reply`);
  if (reply[0]) throw movedAway(redis, reply[0], what);
  if (acknowledgement[0]) throw acknowledgement[0];
  const acknowledged = Number(acknowledgement[1]);
  if (acknowledged < wait.replicas) {
    throw new CredvendError("CV_ERR_REDIS_UNAVAILABLE",
      `${what} failed: ${acknowledged} of ${wait.replicas} Redis replica(s) of ${redisAddress(redis)} acknowledged it within ${wait.timeoutMs} ms (a failover could lose it); retry later`,
      { retryAfterMs: REDIS_RETRY_AFTER_MS });
  }
  return reply[1];
}

/** The connection to the server that holds `key`: the client itself, or the cluster node its slot map names. */
function serverOf(redis: Redis, key: string, what: string): SingleRedis {
  if (!redis.isCluster) return redis as SingleRedis;
  const cluster = redis as Cluster;
  const slot = keySlot(key);
  const nodeKey = cluster.slots[slot]?.[0];
  const node = nodeKey === undefined ? undefined : cluster.nodes("master").find((n) => `${n.options.host}:${n.options.port}` === nodeKey);
  if (node === undefined) {
    cluster.refreshSlotsCache();
    throw new CredvendError("CV_ERR_REDIS_UNAVAILABLE", `${what} failed: no reachable primary of ${redisAddress(redis)} serves slot ${slot} now (a failover under way?); retry later`,
      { retryAfterMs: REDIS_RETRY_AFTER_MS });
  }
  return node;
}

function isNoScript(error: Error | null | undefined): boolean {
  return error?.message.startsWith("NOSCRIPT") === true;
}

/** A MOVED (or ASK) answer: the slot went to another primary; learn the new map and let the caller retry. */
function movedAway(redis: Redis, error: Error, what: string): Error {
  if (!redis.isCluster || !/^(MOVED|ASK) /.test(error.message)) return error;
  (redis as Cluster).refreshSlotsCache();
  return new CredvendError("CV_ERR_REDIS_UNAVAILABLE", `${what} failed: its slot moved to another primary of ${redisAddress(redis)} (${error.message.split(" ").slice(0, 3).join(" ")}); retry later`,
    { retryAfterMs: REDIS_RETRY_AFTER_MS });
}
