// A NATS cluster with JetStream from local nats-server binaries: `size` nodes on fixed free ports
// with routes to each other, each with its own JetStream store, so a node can be stopped and
// started again (same ports, same store) as an operator's restart would.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { onProcessExit } from "./exit-hooks.js";
import { startNatsServer, type NatsServerHandle } from "./nats-server.js";
import { until } from "./poll.js";
import { freePort, lostPortRace, PORT_ATTEMPTS } from "./ports.js";

export interface NatsClusterOptions {
  /** Nodes; default 3 (JetStream needs a majority of them up). */
  size?: number;
  /** Extra config for every node (e.g. natsUsersConfig output). */
  config?: string;
  /** Default 15 s: every node up, routed, and a JetStream meta leader elected. */
  startupTimeoutMs?: number;
}

export interface NatsClusterNode {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly running: boolean;
  /** Stops the node (its store is kept). */
  stop(): Promise<void>;
  /** Starts the node again on its ports with its store; resolves when it is routed to the others. */
  start(): Promise<void>;
}

export interface NatsClusterHandle {
  /** Every node's URL, comma-separated (a NATS_URL for clients that should reach any node). */
  readonly url: string;
  readonly nodes: readonly NatsClusterNode[];
  /** Waits until every running node has its routes and sees a JetStream meta leader. */
  waitReady(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const CLUSTER_NAME = "credvend-test";

/** `pickPort` is freePort; a test passes one that hands out a taken port first. */
export async function startNatsCluster(options: NatsClusterOptions = {}, pickPort: () => Promise<number> = freePort): Promise<NatsClusterHandle> {
  const size = options.size ?? 3;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`a NATS cluster needs a whole number of nodes >= 1, got ${size}`);
  const timeoutMs = options.startupTimeoutMs ?? 15_000;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "credvend-nats-cluster-"));
  const unregister = onProcessExit(() => fs.rmSync(root, { recursive: true, force: true }));
  let specs = await chooseSpecs(size, root, 1, pickPort);
  const configOf = (spec: NodeSpec): string => {
    const routes = specs.map((s) => `nats-route://127.0.0.1:${s.routePort}`).join("\n    ");
    return `server_name: ${spec.name}\nhttp: 127.0.0.1:${spec.monitorPort}\ncluster {\n  name: ${CLUSTER_NAME}\n  listen: 127.0.0.1:${spec.routePort}\n  routes: [\n    ${routes}\n  ]\n}\n${options.config ?? ""}`;
  };

  const servers = new Map<string, NatsServerHandle>();
  const launch = async (spec: NodeSpec): Promise<void> => {
    servers.set(spec.name, await startNatsServer({ port: spec.port, storeDir: spec.storeDir, config: configOf(spec) }));
  };
  const running = () => specs.filter((s) => servers.has(s.name));
  const waitReady = async (wait = timeoutMs): Promise<void> => {
    await until("a routed NATS cluster with a JetStream meta leader", wait, async () => {
      const up = running();
      for (const spec of up) {
        const routez = (await monitor(spec.monitorPort, "routez")) as { num_routes?: number };
        if ((routez.num_routes ?? 0) < up.length - 1) return `${spec.name} has ${routez.num_routes ?? 0} of ${up.length - 1} routes`;
        const jsz = (await monitor(spec.monitorPort, "jsz")) as { meta_cluster?: { leader?: string } };
        if (!jsz.meta_cluster?.leader) return `${spec.name} sees no JetStream meta leader`;
      }
      return true;
    });
  };
  const stopServers = async (): Promise<void> => {
    await Promise.all([...servers.values()].map((s) => s.stop()));
    servers.clear();
  };
  const stopAll = async (): Promise<void> => {
    await stopServers();
    fs.rmSync(root, { recursive: true, force: true });
    unregister();
  };
  for (let attempt = 1; ; attempt += 1) {
    // Every node is started before any failure is acted on: none is left running unseen.
    const launched = await Promise.allSettled(specs.map(launch));
    const failed = launched.find((r): r is PromiseRejectedResult => r.status === "rejected");
    try {
      if (failed) throw failed.reason;
      await waitReady();
      break;
    } catch (error) {
      await stopServers();
      // The routes name every node's ports, so a port another process took means a new set for all.
      if (lostPortRace(error) && attempt < PORT_ATTEMPTS) {
        specs = await chooseSpecs(size, root, attempt + 1, pickPort);
        continue;
      }
      await stopAll();
      throw error;
    }
  }
  return {
    url: specs.map((s) => `nats://127.0.0.1:${s.port}`).join(","),
    nodes: specs.map((spec) => ({
      name: spec.name,
      port: spec.port,
      url: `nats://127.0.0.1:${spec.port}`,
      get running() {
        return servers.has(spec.name);
      },
      async stop() {
        const server = servers.get(spec.name);
        servers.delete(spec.name);
        await server?.stop();
      },
      async start() {
        if (servers.has(spec.name)) throw new Error(`${spec.name} is running; stop() it first`);
        await launch(spec);
        await waitReady();
      },
    })),
    waitReady,
    stop: stopAll,
  };
}

interface NodeSpec {
  readonly name: string;
  readonly port: number;
  readonly routePort: number;
  readonly monitorPort: number;
  readonly storeDir: string;
}

/** Client, route and monitor ports for each node; each attempt gets fresh stores. */
async function chooseSpecs(size: number, root: string, attempt: number, pickPort: () => Promise<number>): Promise<NodeSpec[]> {
  const ports = await Promise.all(Array.from({ length: size * 3 }, () => pickPort()));
  return Array.from({ length: size }, (_, i) => ({
    name: `nats-${i + 1}`,
    port: ports[3 * i] ?? 0,
    routePort: ports[3 * i + 1] ?? 0,
    monitorPort: ports[3 * i + 2] ?? 0,
    storeDir: path.join(root, `attempt-${attempt}`, `nats-${i + 1}`),
  }));
}

async function monitor(port: number, endpoint: string): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${port}/${endpoint}`, { signal: AbortSignal.timeout(1000) });
  return response.json();
}
