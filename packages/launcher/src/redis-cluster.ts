// A Redis Cluster from local redis-server binaries: primaries with their replicas, on free ports,
// joined by commands (CLUSTER ADDSLOTSRANGE, MEET, REPLICATE) as redis-cli --cluster create
// would, without needing redis-cli. For tests that fail a primary over for real (kill it, and its
// replica takes its slots after the node timeout).
import { redisCommand, RespError, type RespValue } from "./redis-command.js";
import { until } from "./poll.js";
import { startRedisServer, type RedisServerHandle } from "./redis-server.js";

export interface RedisClusterOptions {
  /** Default 3. */
  primaries?: number;
  /** Default 1. */
  replicasPerPrimary?: number;
  /** requirepass and masterauth of every node; the handle's url carries it. */
  password?: string;
  /** cluster-node-timeout: how long a primary may be silent before its replica takes over. Default 500 ms. */
  nodeTimeoutMs?: number;
  /** Extra redis-server arguments for every node. */
  args?: readonly string[];
  /** Default 15 s: start, join and replication together. */
  startupTimeoutMs?: number;
}

export interface RedisClusterHandle {
  /** redis+cluster://[:password@]127.0.0.1:port,... with every node as a seed. */
  readonly url: string;
  /** Every node, primaries first (each can be killed, paused or started again). */
  readonly nodes: readonly RedisServerHandle[];
  /** One command on the node at `port` (after AUTH when the cluster has a password). */
  command(port: number, args: readonly (string | number)[]): Promise<RespValue>;
  /** The port of the primary that serves `slot` now, as a live node sees it. */
  primaryOf(slot: number): Promise<number>;
  /** Waits until no slot is served by the node at `port` (its replica was promoted), and the cluster is healthy. */
  waitFailedOver(port: number, timeoutMs?: number): Promise<void>;
  /** Waits until every live node says cluster_state:ok and every live replica's link to its primary is up. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const SLOTS = 16_384;

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const primaries = options.primaries ?? 3;
  const replicas = options.replicasPerPrimary ?? 1;
  const timeoutMs = options.startupTimeoutMs ?? 15_000;
  if (!Number.isInteger(primaries) || primaries < 1 || !Number.isInteger(replicas) || replicas < 0) {
    throw new RangeError(`a Redis Cluster needs a whole number of primaries >= 1 and replicas >= 0, got ${primaries} and ${replicas}`);
  }
  // No 5 s wait before a replica's first sync (the diskless default), so the cluster is up in about a second.
  const args = ["--cluster-enabled", "yes", "--cluster-node-timeout", String(options.nodeTimeoutMs ?? 500), "--repl-diskless-sync-delay", "0", ...(options.args ?? [])];
  const started = await Promise.allSettled(Array.from({ length: primaries * (1 + replicas) }, () =>
    startRedisServer({ args, ...(options.password === undefined ? {} : { password: options.password }) })));
  const nodes = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  const auth = options.password === undefined ? {} : { password: options.password };
  const command = (port: number, cmd: readonly (string | number)[]) => redisCommand(port, cmd, auth);
  const handle: RedisClusterHandle = {
    url: `redis+cluster://${options.password === undefined ? "" : `:${encodeURIComponent(options.password)}@`}${nodes.map((n) => `127.0.0.1:${n.port}`).join(",")}`,
    nodes,
    command,
    async primaryOf(slot) {
      for (const range of await slotRanges(nodes, command)) if (slot >= range.start && slot <= range.end) return range.port;
      throw new Error(`no primary serves slot ${slot}`);
    },
    async waitFailedOver(port, wait = 10_000) {
      await until(`failover away from port ${port}`, wait, async () => {
        const ranges = await slotRanges(nodes.filter((n) => n.port !== port), command);
        return ranges.some((r) => r.port === port) ? `port ${port} still serves slots` : true;
      });
      await handle.waitHealthy(wait);
    },
    async waitHealthy(wait = 10_000) {
      await until("a healthy Redis Cluster", wait, async () => {
        for (const node of nodes) {
          const info = await command(node.port, ["CLUSTER", "INFO"]).catch(() => undefined);
          if (info === undefined) continue; // a stopped node
          if (!String(info).includes("cluster_state:ok")) return `node ${node.port}: ${firstLine(info, "cluster_state")}`;
          const replication = String(await command(node.port, ["INFO", "replication"]));
          if (replication.includes("role:slave") && !replication.includes("master_link_status:up")) return `replica ${node.port}: link to its primary is down`;
        }
        return true;
      });
    },
    stop,
  };
  try {
    if (nodes.length < started.length) throw (started.find((s) => s.status === "rejected") as PromiseRejectedResult).reason;
    await join(nodes, primaries, command, timeoutMs);
    await handle.waitHealthy(timeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return handle;
}

type Command = (port: number, args: readonly (string | number)[]) => Promise<RespValue>;

async function join(nodes: readonly RedisServerHandle[], primaries: number, command: Command, timeoutMs: number): Promise<void> {
  const ok = async (port: number, args: readonly (string | number)[]): Promise<RespValue> => {
    const reply = await command(port, args);
    if (reply instanceof RespError) throw new Error(`redis ${args.join(" ")} on port ${port}: ${reply.message}`);
    return reply;
  };
  const ids = await Promise.all(nodes.map(async (n) => String(await ok(n.port, ["CLUSTER", "MYID"]))));
  for (let i = 0; i < primaries; i += 1) {
    const port = nodes[i]?.port ?? 0;
    await ok(port, ["CLUSTER", "ADDSLOTSRANGE", Math.floor((i * SLOTS) / primaries), Math.floor(((i + 1) * SLOTS) / primaries) - 1]);
    // Distinct config epochs before the nodes meet, so no epoch collision needs resolving.
    await ok(port, ["CLUSTER", "SET-CONFIG-EPOCH", i + 1]);
  }
  const first = nodes[0]?.port ?? 0;
  for (const node of nodes.slice(1)) await ok(first, ["CLUSTER", "MEET", "127.0.0.1", node.port]);
  await until("every Redis Cluster node knowing every other", timeoutMs, async () => {
    for (const node of nodes) {
      const lines = String(await ok(node.port, ["CLUSTER", "NODES"])).trim().split("\n");
      if (lines.length < nodes.length || lines.some((l) => /handshake|noaddr/.test(l))) return `node ${node.port} knows ${lines.length} of ${nodes.length}`;
    }
    return true;
  });
  for (let r = primaries; r < nodes.length; r += 1) await ok(nodes[r]?.port ?? 0, ["CLUSTER", "REPLICATE", ids[(r - primaries) % primaries] ?? ""]);
}

interface SlotRange { start: number; end: number; port: number }

/** CLUSTER SLOTS as the first live node among `nodes` answers it. */
async function slotRanges(nodes: readonly RedisServerHandle[], command: Command): Promise<SlotRange[]> {
  for (const node of nodes) {
    const reply = await command(node.port, ["CLUSTER", "SLOTS"]).catch(() => undefined);
    if (!Array.isArray(reply)) continue;
    return reply.flatMap((entry) => {
      if (!Array.isArray(entry)) return [];
      const [start, end, primary] = entry;
      return Array.isArray(primary) ? [{ start: Number(start), end: Number(end), port: Number(primary[1]) }] : [];
    });
  }
  throw new Error("no live Redis Cluster node answered CLUSTER SLOTS");
}

function firstLine(text: RespValue, prefix: string): string {
  return String(text).split("\r\n").find((l) => l.startsWith(prefix)) ?? String(text).slice(0, 80);
}
