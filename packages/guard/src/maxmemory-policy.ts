// The guard needs maxmemory-policy noeviction (README). Under any other policy Redis evicts keys
// when it is full: under volatile-* (ElastiCache's default is volatile-lru) the idempotency
// records, which have TTLs, go while the tenant epoch keys, which have none, stay, so no restart
// check can notice, and an evicted request id would be issued a second time. Under noeviction a
// full Redis refuses writes instead (CV_ERR_REDIS_UNAVAILABLE): no request is issued twice.
//
// Read from INFO memory (managed Redis often disables CONFIG GET) at each connection ready and
// every POLICY_REFRESH_MS (a CONFIG SET fixes it without a reconnect); reported once per connection.
import type { Redis as SingleRedis } from "ioredis";
import { commandTimeoutOf, replyWithin } from "./command-timeout.js";
import type { Redis } from "./connection.js";
import { sendAlone, serverAddress, watchNodes } from "./server-nodes.js";

export const REQUIRED_MAXMEMORY_POLICY = "noeviction";
const POLICY_REFRESH_MS = 60_000;
const PROBE_ATTEMPTS = 3;
const PROBE_RETRY_MS = 100;

export interface MaxmemoryPolicyFinding {
  /** host:port of the server (redisAddress for one server or Sentinel). */
  readonly address: string;
  /** Its maxmemory-policy, anything but noeviction. */
  readonly policy: string;
  /** What to set and why, for a log line or /readyz. */
  readonly fix: string;
}

/** Called once per connection to a server whose policy is not noeviction. */
export type MaxmemoryPolicyReport = (finding: MaxmemoryPolicyFinding) => void;

const findingsByClient = new WeakMap<Redis, Map<SingleRedis, MaxmemoryPolicyFinding>>();

/** Checks every server of `redis` as its connection becomes ready (createRedis calls this once). */
export function watchMaxmemoryPolicy(redis: Redis, report: MaxmemoryPolicyReport): void {
  if (findingsByClient.has(redis)) return;
  const findings = new Map<SingleRedis, MaxmemoryPolicyFinding>();
  findingsByClient.set(redis, findings);
  const reported = new WeakSet<SingleRedis>();
  const timeoutMs = commandTimeoutOf(redis);
  const check = async (node: SingleRedis, attempts: number): Promise<void> => {
    for (let attempt = 1; attempt <= attempts && node.status === "ready"; attempt += 1) {
      const info = await replyWithin(sendAlone(node, "info", "memory") as Promise<string>, timeoutMs).catch(() => undefined);
      if (info !== undefined) {
        const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
        // A server that does not say (a proxy, an old version): nothing known, nothing claimed.
        if (policy === undefined || policy === REQUIRED_MAXMEMORY_POLICY) {
          findings.delete(node);
          return;
        }
        const finding = { address: serverAddress(redis, node), policy, fix: fixFor(policy) };
        findings.set(node, finding);
        if (!reported.has(node)) {
          reported.add(node);
          report(finding);
        }
        return;
      }
      if (attempt < attempts) await new Promise((r) => setTimeout(r, PROBE_RETRY_MS));
    }
  };
  watchNodes(redis, {
    ready: (node) => {
      reported.delete(node);
      void check(node, PROBE_ATTEMPTS);
    },
    periodic: { everyMs: POLICY_REFRESH_MS, run: (node) => void check(node, 1) },
    removed: (node) => findings.delete(node),
  });
}

/** The servers of `redis` last found with a policy other than noeviction (none if never checked). */
export function maxmemoryPolicyFindings(redis: Redis): MaxmemoryPolicyFinding[] {
  return [...(findingsByClient.get(redis)?.values() ?? [])];
}

function fixFor(policy: string): string {
  return `set maxmemory-policy ${REQUIRED_MAXMEMORY_POLICY} (redis.conf, or CONFIG SET maxmemory-policy ${REQUIRED_MAXMEMORY_POLICY}; `
    + `on ElastiCache or MemoryDB in the parameter group): under ${policy} Redis evicts keys when it is full, and an evicted `
    + `idempotency record lets its request id be issued a second time, unseen by any restart check; `
    + `under ${REQUIRED_MAXMEMORY_POLICY} a full Redis refuses writes instead`;
}
