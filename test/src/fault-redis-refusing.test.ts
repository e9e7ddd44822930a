// Redis answering writes with an error: full under maxmemory-policy noeviction (what the guard
// requires: OOM), or demoted to a replica (READONLY). On the claim the request is refused as
// retryable before STS; on the completion (STS already issued) the credentials are held back,
// never handed out unrecorded, and the retry once Redis takes writes again gets exactly those.
// Each test owns its redis-server, so it can break it.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { startRedisServer, uniqueName, uniqueRequestId, type RedisServerHandle } from "@credvend/testkit";
import { Redis } from "ioredis";
import { demoConfig } from "./support/config.js";
import { ReplyLedger } from "./support/faults.js";
import { refusal } from "./support/outcome.js";
import { startHarness, type Harness } from "./support/harness.js";

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

interface Stack { readonly h: Harness; readonly tenant: string; readonly ledger: ReplyLedger; readonly admin: Redis }

async function stack(): Promise<Stack> {
  const redis: RedisServerHandle = await startRedisServer({ args: ["--maxmemory-policy", "noeviction"] });
  cleanups.push(() => redis.stop());
  const tenant = uniqueName("oom");
  const h = await startHarness({ config: demoConfig({ tenants: [tenant] }), redisUrl: redis.url });
  cleanups.push(() => h.stop());
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  cleanups.push(async () => admin.disconnect());
  const ledger = new ReplyLedger(h.nc, tenant, "demo-app");
  cleanups.push(async () => ledger.close());
  await h.nc.flush();
  return { h, tenant, ledger, admin };
}

/** Redis is full now: maxmemory at what it uses (noeviction: writes refused with OOM). */
async function fill(admin: Redis): Promise<void> {
  const used = Number(/used_memory:(\d+)/.exec(await admin.info("memory"))?.[1]);
  await admin.config("SET", "maxmemory", String(Math.max(1, used - 100_000)));
}
const makeRoom = (admin: Redis) => admin.config("SET", "maxmemory", "0");
const assumeRoleOk = async (h: Harness) => (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0;
const ask = (s: Stack, requestId: string) =>
  s.h.client(s.tenant, "demo-app", { attempts: 1, timeoutMs: 5000 }).request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId });

test("Redis full (OOM) at the claim: a retryable CV_ERR_REDIS_UNAVAILABLE with retry-after, no AssumeRole; served once there is room", async () => {
  const s = await stack();
  assert.match((await ask(s, uniqueRequestId())).accessKeyId, /^ASIA/);
  const before = await assumeRoleOk(s.h);
  await fill(s.admin);
  const requestId = uniqueRequestId();
  const e = await refusal(ask(s, requestId));
  assert.equal(e.reason, "CV_ERR_REDIS_UNAVAILABLE", e.message);
  assert.ok(e.retryable && (e.retryAfterMs ?? 0) > 0, JSON.stringify(e));
  assert.match(e.message, /answered with an error/);
  assert.equal(await assumeRoleOk(s.h), before, "no AssumeRole without a claim");
  await makeRoom(s.admin);
  const served = await ask(s, requestId);
  assert.equal(await assumeRoleOk(s.h) - before, 1);
  assert.deepEqual([...s.ledger.keysOf(requestId)], [served.accessKeyId]);
});

/** The completion refused by `breakWrites`, allowed again by `fixWrites`: the credentials are held back, then replayed. */
async function heldBackThenReplayed(s: Stack, breakWrites: () => Promise<unknown>, fixWrites: () => Promise<unknown>): Promise<void> {
  await s.h.awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 600 } });
  const before = await assumeRoleOk(s.h);
  const requestId = uniqueRequestId();
  const first = ask(s, requestId);
  // While AssumeRole runs: the claim was taken, the completion is refused.
  await new Promise((r) => setTimeout(r, 250));
  await breakWrites();
  const held = await refusal(first);
  assert.equal(held.reason, "CV_ERR_REDIS_UNAVAILABLE", held.message);
  assert.match(held.message, /were issued but Redis has not recorded them/);
  assert.ok(held.retryable && (held.retryAfterMs ?? 0) > 0);
  // A retry meanwhile is refused as retryable too, never issued other credentials.
  const whileFull = await refusal(ask(s, requestId));
  assert.ok(whileFull.retryable, JSON.stringify(whileFull));
  await fixWrites();
  let served: Awaited<ReturnType<typeof ask>> | undefined;
  for (let i = 0; i < 40 && served === undefined; i += 1) {
    served = await ask(s, requestId).catch(async (e: unknown) => {
      assert.ok(e instanceof CredvendError && e.retryable, String(e));
      await new Promise((r) => setTimeout(r, 100));
      return undefined;
    });
  }
  assert.ok(served, "served once Redis takes writes again");
  assert.equal(served.replayed, true, "the retry replays the credentials held back");
  assert.equal(await assumeRoleOk(s.h) - before, 1, "one AssumeRole for the id");
  assert.deepEqual([...s.ledger.keysOf(requestId)], [served.accessKeyId]);
}

test("Redis full (OOM) at the completion: the issued credentials are held back, and the retry once there is room gets exactly those", async () => {
  const s = await stack();
  await heldBackThenReplayed(s, () => fill(s.admin), () => makeRoom(s.admin));
});

test("Redis demoted to a replica (READONLY) at the completion: held back, and replayed once it takes writes again", async () => {
  const s = await stack();
  // A primary that does not exist: the server keeps its data and refuses writes (READONLY).
  await heldBackThenReplayed(s, () => s.admin.replicaof("127.0.0.1", "1"), () => s.admin.replicaof("NO", "ONE"));
});
