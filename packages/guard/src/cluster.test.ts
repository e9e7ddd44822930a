// The guard against a real Redis Cluster (3 primaries, 3 replicas, from local binaries): every
// multi-key script runs without CROSSSLOT, the cluster itself puts every key of one tenant in one
// slot, and WAIT makes a claim count only once a replica has it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, test } from "node:test";
import { isCredvendError } from "@credvend/protocol";
import { startRedisCluster, uniqueName, uniqueRequestId, type RedisClusterHandle } from "@credvend/testkit";
import { LimitedClaims } from "./limited-claims.js";
import type { Redis } from "./connection.js";
import { IdempotencyStore } from "./idempotency-store.js";
import { RateLimiter } from "./rate-limiter.js";
import { createRedis, waitReady } from "./redis-client.js";
import { redisAddress } from "./redis-errors.js";
import { keySlot } from "./key-slot.js";

let cluster: RedisClusterHandle;
let redis: Redis;

before(async () => {
  cluster = await startRedisCluster({ password: "cluster-pw" });
  redis = createRedis(cluster.url, { name: "guard-cluster-test" });
  await waitReady(redis, 5000);
});
after(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

test("a cluster URL makes a cluster client, named by its seeds without the password", () => {
  assert.equal(redis.isCluster, true);
  assert.match(redisAddress(redis), /^cluster 127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){5}$/);
  assert.ok(!redisAddress(redis).includes("cluster-pw"));
});

test("the slot the guard computes for a key is the one the cluster says: hash tags, empty tags, no tag, non-ASCII", async () => {
  const keys = ["credvend:idem:{acme}:app:r1", "{acme}", "plain-key", "a{}b{c}", "{}{x}", "x{y", "{ümlaut}:1", "", "credvend:rl:{t-1}:t-1:principal:app"];
  for (const key of keys) {
    assert.equal(keySlot(key), Number(await cluster.command(cluster.nodes[0]?.port ?? 0, ["CLUSTER", "KEYSLOT", key])), JSON.stringify(key));
  }
});

test("claims, completions, epochs and multi-limit checks of many tenants: no CROSSSLOT, and each tenant's keys in its one slot", async () => {
  const store = new IdempotencyStore(redis, { replicas: 1 });
  const limiter = new RateLimiter(redis);
  const tenants = Array.from({ length: 12 }, () => uniqueName("slot"));
  for (const tenant of tenants) {
    const who = { tenant, principal: "app" };
    const id = uniqueRequestId();
    const claim = await store.claim(who, id, "fp", { clientTimeMs: Date.now() });
    assert.equal(claim.state, "claimed");
    assert.equal(await store.complete(who, id, claim.state === "claimed" ? claim.token : "", new Uint8Array([1])), true);
    const decision = await limiter.check(tenant, [
      // Slow rates: a GCRA key lives one emission interval, long enough to be found below.
      { key: `${tenant}:principal:app`, perSecond: 0.1, burst: 10 },
      { key: `${tenant}:tenant`, perSecond: 0.1, burst: 100 },
      { key: "template:s3", perSecond: 0.1, burst: 5 },
    ]);
    assert.equal(decision.allowed, true);
  }
  // Ask the cluster, not the code: where every key of each tenant lives.
  const keysByTenant = new Map<string, { key: string; port: number }[]>();
  for (const node of cluster.nodes) {
    const role = String(await cluster.command(node.port, ["ROLE"]).then((r) => (Array.isArray(r) ? r[0] : r)));
    if (role !== "master") continue;
    for (const tenant of tenants) {
      const keys = await cluster.command(node.port, ["KEYS", `*{${tenant}}*`]);
      for (const key of Array.isArray(keys) ? keys.map(String) : []) keysByTenant.set(tenant, [...(keysByTenant.get(tenant) ?? []), { key, port: node.port }]);
    }
  }
  const portsUsed = new Set<number>();
  for (const tenant of tenants) {
    const keys = keysByTenant.get(tenant) ?? [];
    // record, epoch, and the three rate-limit keys
    assert.equal(keys.length, 5, `${tenant}: ${JSON.stringify(keys)}`);
    const slots = new Set(await Promise.all(keys.map(async (k) => Number(await cluster.command(k.port, ["CLUSTER", "KEYSLOT", k.key])))));
    assert.equal(slots.size, 1, `${tenant}: one slot for all its keys, got ${[...slots].join(",")}`);
    const [slot] = [...slots];
    assert.equal(new Set(keys.map((k) => k.port)).size, 1);
    assert.equal(keys[0]?.port, await cluster.primaryOf(slot ?? -1), "on the primary that serves the slot");
    portsUsed.add(keys[0]?.port ?? 0);
  }
  assert.ok(portsUsed.size > 1, "tenants spread over the primaries");
});

test("a claim with limits on_behalf_of another tenant (another slot): no CROSSSLOT; that tenant's limits first, the claim last with the caller's", async () => {
  const claims = new LimitedClaims(redis, new IdempotencyStore(redis, { replicas: 1 }), new RateLimiter(redis));
  const caller = uniqueName("adm-plat");
  const customer = uniqueName("adm-cust");
  const who = { tenant: caller, principal: "app" };
  const groups = [
    { hashTag: caller, limits: [{ key: `${caller}:principal:app`, perSecond: 0.01, burst: 10 }] },
    { hashTag: customer, limits: [{ key: `${customer}:principal:${caller}.app`, perSecond: 0.01, burst: 1 }] },
  ];
  const first = await claims.claim(who, uniqueRequestId(), "fp", groups, { clientTimeMs: Date.now() });
  assert.equal(first.state, "claimed");
  // The customer's bucket is spent: refused before the claim, and the caller's bucket is untouched.
  const callerKey = `credvend:rl:{${caller}}:${caller}:principal:app`;
  const callerTat = await redis.get(callerKey);
  const id = uniqueRequestId();
  const refused = await claims.claim(who, id, "fp", groups, { clientTimeMs: Date.now() });
  assert.equal(refused.state === "limited" ? refused.decision.limitedBy : refused.state, `${customer}:principal:${caller}.app`);
  assert.equal(await redis.get(callerKey), callerTat);
  assert.equal((await new IdempotencyStore(redis).claim(who, id, "fp", { clientTimeMs: Date.now() })).state, "claimed", "nothing was claimed");
});

test("WAIT counts only the writes before it: a primary that forgot the scripts (SCRIPT FLUSH) still gets the script before the WAIT, so a frozen replica fails the completion", async () => {
  const tenant = uniqueName("noscript");
  const who = { tenant, principal: "app" };
  const store = new IdempotencyStore(redis, { replicas: 1, replicaWaitMs: 100 });
  // Both scripts run once on this connection, so the client sends their SHA1 from now on.
  const warm = uniqueRequestId();
  const warmClaim = await store.claim(who, warm, "fp", { clientTimeMs: Date.now() });
  assert.equal(await store.complete(who, warm, warmClaim.state === "claimed" ? warmClaim.token : "", new Uint8Array([1])), true);
  const id = uniqueRequestId();
  const claim = await store.claim(who, id, "fp", { clientTimeMs: Date.now() });
  assert.equal(claim.state, "claimed");
  const slot = Number(await cluster.command(cluster.nodes[0]?.port ?? 0, ["CLUSTER", "KEYSLOT", `{${tenant}}`]));
  const primary = await cluster.primaryOf(slot);
  const replica = await replicaOf(primary);
  await cluster.command(primary, ["SCRIPT", "FLUSH"]);
  await replica.pause();
  try {
    // Had the script gone after the WAIT (a NOSCRIPT answered by a second, separate EVAL), the WAIT
    // would count the earlier writes, which the replica has, and call this completion replicated.
    // (The refusal is "0 of 1 replicas", or a timeout when the NOSCRIPT round's WAIT used the time up.)
    await assert.rejects(store.complete(who, id, claim.state === "claimed" ? claim.token : "", new Uint8Array([2])), (err: unknown) => {
      assert.ok(isCredvendError(err));
      assert.equal(err.reason, "CV_ERR_REDIS_UNAVAILABLE");
      return true;
    });
  } finally {
    await replica.resume();
  }
  assert.equal(await store.complete(who, id, claim.state === "claimed" ? claim.token : "", new Uint8Array([2])), true, "once the replica answers again, the completion counts");
});

test("WAIT: a claim counts only once enough replicas have it (too few: CV_ERR_REDIS_UNAVAILABLE, the claim given up); a counted claim survives the primary's crash", async () => {
  const tenant = uniqueName("wait");
  const who = { tenant, principal: "app" };
  const id = uniqueRequestId();
  // Each primary has one replica: two can never acknowledge.
  const greedy = new IdempotencyStore(redis, { replicas: 2, replicaWaitMs: 50 });
  await assert.rejects(greedy.claim(who, id, "fp"), (err: unknown) => {
    assert.ok(isCredvendError(err));
    assert.equal(err.reason, "CV_ERR_REDIS_UNAVAILABLE");
    assert.match(err.message, /1 of 2 Redis replica\(s\)/);
    return true;
  });
  // The unacknowledged claim is released in the background, so a retry is not held for a lease.
  const store = new IdempotencyStore(redis, { replicas: 1 });
  let state = "";
  for (let i = 0; i < 40 && state !== "claimed"; i += 1) {
    state = (await store.claim(who, id, "fp")).state;
    if (state !== "claimed") await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(state, "claimed");
  // The claim is on the replica: the primary crashes, the replica takes over, and the claim holds.
  const slot = Number(await cluster.command(cluster.nodes[0]?.port ?? 0, ["CLUSTER", "KEYSLOT", `{${tenant}}`]));
  const primary = await cluster.primaryOf(slot);
  await cluster.nodes.find((n) => n.port === primary)?.kill();
  await cluster.waitFailedOver(primary);
  assert.notEqual(await cluster.primaryOf(slot), primary);
  // Reads need no replica; the promoted primary has none until the crashed node rejoins.
  const reader = new IdempotencyStore(redis);
  assert.equal(await eventually(() => reader.claim(who, id, "fp")), "pending", "the promoted replica still holds the claim: nobody else may issue this id");
  await assert.rejects(store.claim(who, uniqueRequestId(), "fp"), /0 of 1 Redis replica/, "no replica left: new claims are refused, not risked");
  await cluster.nodes.find((n) => n.port === primary)?.startAgain();
  await cluster.waitHealthy();
  assert.equal(await eventually(() => store.claim(who, uniqueRequestId(), "fp")), "claimed", "the crashed node rejoined as a replica: claims count again");
});

/** The replica of the primary at `port` (each primary has one). */
async function replicaOf(port: number): Promise<(typeof cluster.nodes)[number]> {
  for (const node of cluster.nodes) {
    const role = await cluster.command(node.port, ["ROLE"]);
    if (Array.isArray(role) && String(role[0]) === "slave" && Number(role[2]) === port) return node;
  }
  throw new Error(`no replica of the primary at ${port}`);
}

/** The state of the first claim that Redis answers within 4 s (clients find the new primary within about a second). */
async function eventually(claim: () => Promise<{ state: string }>): Promise<string> {
  let last = "";
  for (let i = 0; i < 40; i += 1) {
    try {
      return (await claim()).state;
    } catch (error) {
      last = String(error);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return last;
}

test("a cluster client closed while a slot-map refresh is under way lets its process exit: nothing re-arms the refresh", async () => {
  // ioredis's own slotsRefreshInterval arms its next round from the refresh's callback, even once
  // the client is closed, and from then on refreshes an empty pool every second, for good. The
  // process that closed it (a stopped worker, a test file) would never exit by itself.
  const client = new URL("./redis-client.js", import.meta.url).href;
  const script = `
    import { createRedis, waitReady } from ${JSON.stringify(client)};
    const redis = createRedis(process.env.CLUSTER_URL, { name: "refresh-then-close" });
    await waitReady(redis, 5000);
    process.stdout.write("ready\\n");
    process.stdin.once("data", async () => {
      process.stdin.destroy();
      // As a stopping worker closes it: QUIT, bounded, then disconnect.
      await Promise.race([redis.quit().catch(() => undefined), new Promise((r) => setTimeout(r, 300).unref())]);
      redis.disconnect();
      process.stdout.write("closed\\n");
    });
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, CLUSTER_URL: cluster.url }, stdio: ["pipe", "pipe", "inherit"] });
  const exited = once(child, "exit");
  let output = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => { output += chunk; });
  const saw = async (line: string) => {
    while (!output.includes(line)) {
      if (child.exitCode !== null) throw new Error(`the child exited (${child.exitCode}) before it printed ${line.trim()}; it printed: ${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await saw("ready\n");
    // Every node frozen: the next scheduled refresh (every second) waits on one for its reply.
    for (const node of cluster.nodes) await node.pause();
    await new Promise((r) => setTimeout(r, 1_500));
    child.stdin.write("close\n");
    await saw("closed\n");
  } finally {
    for (const node of cluster.nodes) await node.resume();
  }
  const timeout = new Promise<"alive">((resolve) => setTimeout(() => resolve("alive"), 8_000).unref());
  const outcome = await Promise.race([exited.then(() => "exited" as const), timeout]);
  if (outcome === "alive") child.kill("SIGKILL");
  assert.equal(outcome, "exited", "the process is still alive 8 s after it closed its only cluster client");
  await cluster.waitHealthy();
});
