// A Redis primary with replicas watched by a Sentinel, from the local redis-server binary (a
// Sentinel is redis-server with a config file and --sentinel): what a Sentinel deployment looks
// like, on loopback, so failover can be caused for real (SIGKILL the primary).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { findBinary } from "./binary.js";
import { SupervisedChild } from "./child.js";
import { onProcessExit } from "./exit-hooks.js";
import { until } from "./poll.js";
import { freePort } from "./ports.js";
import { DEFAULT_STARTUP_TIMEOUT_MS, waitForProbe } from "./ready.js";
import { redisCommand } from "./redis-command.js";
import { redisPing } from "./redis-ping.js";
import { startRedisServer, type RedisServerHandle } from "./redis-server.js";
import type { ServerHandle } from "./types.js";

export interface RedisSentinelOptions {
  /** Replicas of the primary. Default 2. */
  replicas?: number;
  /** The primary's name in Sentinel (the URL's path). Default "credvend". */
  masterName?: string;
  /** Every data node requires it (and the Sentinel authenticates with it). */
  password?: string;
  /** How long the primary may be silent before Sentinel fails over. Default 500 ms. */
  downAfterMs?: number;
}

export interface RedisSentinelHandle extends ServerHandle {
  /** redis+sentinel://[:password@]127.0.0.1:PORT/NAME: what a worker's REDIS_URL would be. */
  readonly url: string;
  readonly masterName: string;
  /** Every data node (the primary first, as started). */
  readonly nodes: readonly RedisServerHandle[];
  /** The node Sentinel names as primary now. */
  primary(): Promise<RedisServerHandle>;
  /** Resolves once Sentinel names another primary than `previous` (after a failover). */
  waitFailedOver(previous: RedisServerHandle, timeoutMs?: number): Promise<RedisServerHandle>;
}

export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinelHandle> {
  const name = options.masterName ?? "credvend";
  const auth = options.password === undefined ? {} : { password: options.password };
  const nodes: RedisServerHandle[] = [];
  let sentinel: SupervisedChild | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "credvend-sentinel-"));
  const unregister = onProcessExit(() => fs.rmSync(dir, { recursive: true, force: true }));
  const stop = async (): Promise<void> => {
    await sentinel?.stop();
    for (const n of nodes) await n.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    unregister();
  };
  try {
    const primary = await startRedisServer({ ...auth, args: ["--repl-diskless-sync-delay", "0"] });
    nodes.push(primary);
    for (let i = 0; i < (options.replicas ?? 2); i += 1) {
      nodes.push(await startRedisServer({ ...auth, args: ["--replicaof", "127.0.0.1", String(primary.port), "--repl-diskless-sync-delay", "0"] }));
    }
    await until("the replicas to sync", DEFAULT_STARTUP_TIMEOUT_MS, async () => {
      const info = await redisCommand(primary.port, ["INFO", "replication"], auth);
      return typeof info === "string" && (info.match(/state=online/g)?.length ?? 0) === nodes.length - 1;
    });
    const port = await freePort();
    const conf = path.join(dir, "sentinel.conf");
    // Sentinel rewrites its config file as it learns the topology: it lives in our private folder.
    fs.writeFileSync(conf, [
      `port ${port}`, "bind 127.0.0.1", `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${primary.port} 1`,
      `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 500}`,
      `sentinel failover-timeout ${name} 5000`,
      ...(options.password === undefined ? [] : [`sentinel auth-pass ${name} ${options.password}`]),
      "",
    ].join("\n"), { mode: 0o600 });
    sentinel = new SupervisedChild("redis-sentinel", findBinary("redis-server"), [conf, "--sentinel", "--loglevel", "warning"]);
    await waitForProbe(sentinel, () => redisPing(port, "127.0.0.1", 500, false), DEFAULT_STARTUP_TIMEOUT_MS);
    sentinel.unref();
    const primaryNow = async (): Promise<RedisServerHandle> => {
      const addr = await redisCommand(port, ["SENTINEL", "get-master-addr-by-name", name]);
      const at = Array.isArray(addr) ? Number(addr[1]) : Number.NaN;
      const node = nodes.find((n) => n.port === at);
      if (!node) throw new Error(`Sentinel names ${JSON.stringify(addr)} as primary of ${name}, not one of ours`);
      return node;
    };
    // Sentinel knows the replicas once it has asked the primary (INFO every 10 s, the first at once).
    await until("Sentinel to see the replicas", DEFAULT_STARTUP_TIMEOUT_MS, async () => {
      const replicas = await redisCommand(port, ["SENTINEL", "replicas", name]);
      return Array.isArray(replicas) && replicas.length === nodes.length - 1;
    });
    const password = options.password === undefined ? "" : `:${encodeURIComponent(options.password)}@`;
    return {
      url: `redis+sentinel://${password}127.0.0.1:${port}/${name}`,
      port,
      masterName: name,
      nodes,
      primary: primaryNow,
      async waitFailedOver(previous, timeoutMs = 15_000) {
        let found: RedisServerHandle | undefined;
        await until(`Sentinel to fail ${name} over`, timeoutMs, async () => {
          const now = await primaryNow().catch(() => undefined);
          found = now !== undefined && now !== previous ? now : undefined;
          if (!found) return false;
          const role = await redisCommand(found.port, ["ROLE"], auth).catch(() => undefined);
          return Array.isArray(role) && role[0] === "master";
        });
        if (!found) throw new Error("no failover");
        return found;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
