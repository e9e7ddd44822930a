// Redis restarted empty, killed with SIGKILL (with AOF), and paused (SIGSTOP) under load: for
// every request id, never two access keys, never lost, never hung (a second kill test lands mid-claim,
// with retries in flight); after a restart without
// persistence, new requests are served at once. Each test owns its redis-server, so it can break it.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { AUDIT_STREAM, type AuditEvent } from "@credvend/worker";
import { startRedisServer, uniqueName, uniqueRequestId, type RedisServerHandle } from "@credvend/testkit";
import { Redis } from "ioredis";
import { demoConfig } from "./support/config.js";
import { assertEachServedOnce, rawRequester, ReplyLedger, retriedLoad, tally, type Final, type RawRequester } from "./support/faults.js";
import { startHarness, type Harness } from "./support/harness.js";

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function stack(redisArgs: readonly string[] = []): Promise<{ redis: RedisServerHandle; h: Harness; tenant: string; ledger: ReplyLedger }> {
  const redis = await startRedisServer({ args: redisArgs });
  cleanups.push(() => redis.stop());
  const tenant = uniqueName("fault");
  const h = await startHarness({ config: demoConfig({ tenants: [tenant] }), redisUrl: redis.url });
  cleanups.push(() => h.stop());
  const ledger = new ReplyLedger(h.nc, tenant, "demo-app");
  cleanups.push(async () => ledger.close());
  await h.nc.flush();
  return { redis, h, tenant, ledger };
}

const assumeRoleOk = async (h: Harness) => (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` requests, one started every `everyMs` (load that spans the fault), each until final. */
function staggered(h: Harness, tenant: string, n: number, everyMs: number, budgetMs: number): { requesters: RawRequester[]; finals: Promise<Final[]> } {
  const requesters = Array.from({ length: n }, () => rawRequester(h.nc, tenant, "demo-app"));
  const finals = Promise.all(requesters.map(async (r, i) => {
    await sleep(i * everyMs);
    return r.untilFinal(budgetMs);
  }));
  return { requesters, finals };
}

function assertExactlyOnce(label: string, finals: readonly Final[], ledger: ReplyLedger, requesters: readonly RawRequester[], allowed: readonly string[]) {
  const t = tally(finals, ledger, requesters.map((r) => r.requestId));
  const unexpected = Object.keys(t.reasons).filter((r) => !allowed.includes(r));
  assert.equal(t.issuedTwice, 0, `${label}: ids issued twice ${JSON.stringify(t)}`);
  assert.equal(t.hung, 0, `${label}: ids hung ${JSON.stringify(finals.filter((f) => f.kind === "hung"))}`);
  assert.deepEqual(unexpected, [], `${label}: unexpected final errors ${JSON.stringify({ reasons: t.reasons, messages: t.messages })}`);
  return t;
}

test("Redis restarted without persistence: ids served before are refused for good (CV_ERR_REQUEST_STALE), never issued again", async (t) => {
  const { redis, h, tenant, ledger } = await stack();
  const before = Array.from({ length: 20 }, () => rawRequester(h.nc, tenant, "demo-app"));
  const first = await Promise.all(before.map((r) => r.untilFinal(5000)));
  assert.ok(first.every((f) => f.kind === "credentials"), JSON.stringify(first));
  // More requests in flight while the store is emptied.
  const during = Array.from({ length: 20 }, () => rawRequester(h.nc, tenant, "demo-app"));
  const inFlight = Promise.all(during.map((r) => r.untilFinal(10_000)));
  await sleep(30);
  await redis.restart();
  const mid = await inFlight;
  // Every id retried with its very same payload (as the client SDK's retries send it).
  const all = [...before, ...during];
  const again = await Promise.all(all.map((r) => r.untilFinal(5000)));
  const tl = assertExactlyOnce("after the restart", [...mid, ...again], ledger, all, ["CV_ERR_REQUEST_STALE"]);
  assert.ok(again.slice(0, before.length).every((f) => f.kind === "error" && f.reason === "CV_ERR_REQUEST_STALE"), "an id served before the restart is refused, not re-issued");
  const calls = await assumeRoleOk(h);
  assert.ok(calls <= all.length, `${calls} AssumeRole calls for ${all.length} ids`);
  // A request sent after the restart is served as usual.
  assert.equal((await rawRequester(h.nc, tenant, "demo-app").untilFinal(5000)).kind, "credentials");
  t.diagnostic(`restart: ${JSON.stringify(tl)}; AssumeRole ${calls} for ${all.length} ids`);
});

test("after a Redis restart without persistence: a burst of new requests is served, ids issued before are stale", async (t) => {
  const { redis, h, tenant, ledger } = await stack();

  const before = Array.from({ length: 10 }, () => rawRequester(h.nc, tenant, "demo-app"));
  assert.ok((await Promise.all(before.map((r) => r.untilFinal(5000)))).every((f) => f.kind === "credentials"));
  await redis.restart();
  // The worker reconnects within its backoff (about 50 ms for a first attempt).
  await new Promise((r) => setTimeout(r, 300));
  const burst = Array.from({ length: 20 }, () => rawRequester(h.nc, tenant, "demo-app"));
  const fresh = await Promise.all(burst.map((r) => r.untilFinal(5000)));
  const stale = await Promise.all(before.map((r) => r.untilFinal(5000)));
  const tl = tally([...fresh, ...stale], ledger, [...before, ...burst].map((r) => r.requestId));
  assert.equal(tl.issuedTwice, 0, JSON.stringify(tl));
  assert.deepEqual(fresh.map((f) => f.kind), burst.map(() => "credentials"), `sent after the restart: served ${JSON.stringify(fresh)}`);
  assert.deepEqual(stale.map((f) => (f.kind === "error" ? f.reason : f.kind)), before.map(() => "CV_ERR_REQUEST_STALE"), "issued before the loss: refused, never re-issued");
  const calls = await assumeRoleOk(h);
  assert.equal(calls, before.length + burst.length, "one AssumeRole per id");
  t.diagnostic(`epoch: ${JSON.stringify(tl)}; AssumeRole ${calls}`);
});

test("Redis SIGKILLed under load with AOF: pending records are settled, not re-issued", async (t) => {
  const { redis, h, tenant, ledger } = await stack(["--appendonly", "yes", "--appendfsync", "always"]);
  await h.awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 300 } });
  const probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  const info = await probe.info("server");
  probe.disconnect();
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  const { requesters, finals } = staggered(h, tenant, 40, 25, 15_000);
  await sleep(300);
  process.kill(pid, "SIGKILL");
  await sleep(400);
  for (let i = 0; i < 50; i += 1) {
    try {
      await redis.startAgain();
      break;
    } catch {
      await sleep(50);
    }
  }
  const first = await finals;
  const again = await Promise.all(requesters.map((r) => r.untilFinal(5000)));
  const tl = assertExactlyOnce("kill -9", [...first, ...again], ledger, requesters, []);
  assert.ok([...first, ...again].every((f) => f.kind === "credentials"), `every id served, first and again: ${JSON.stringify(tl)}`);
  const calls = await assumeRoleOk(h);
  assert.equal(calls, requesters.length, "one AssumeRole per id");
  t.diagnostic(`kill -9: ${JSON.stringify(tl)}; AssumeRole ${calls} for ${requesters.length} ids`);
});

test("Redis paused (SIGSTOP) under load: late commands change nothing, no orphan claim holds a retry", async (t) => {
  const { redis, h, tenant, ledger } = await stack();
  await h.awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 100 } });
  const { requesters, finals } = staggered(h, tenant, 60, 35, 15_000);
  await sleep(300);
  await redis.pause();
  await sleep(1500);
  await redis.resume();
  const resumed = Date.now();
  const first = await finals;
  const recoveredMs = Date.now() - resumed;
  const again = await Promise.all(requesters.map((r) => r.untilFinal(5000)));
  const tl = assertExactlyOnce("pause", [...first, ...again], ledger, requesters, []);
  assert.ok([...first, ...again].every((f) => f.kind === "credentials"), `every id served, first and again: ${JSON.stringify(tl)}`);
  // An orphan claim (a claim that ran after its caller gave up) would hold its id for a lease.
  assert.ok(recoveredMs < 4000, `all served ${recoveredMs} ms after Redis resumed`);
  const calls = await assumeRoleOk(h);
  assert.equal(calls, requesters.length, "one AssumeRole per id");
  t.diagnostic(`pause: ${JSON.stringify(tl)}; served ${recoveredMs} ms after resume; AssumeRole ${calls}`);
});

test("a success Redis has not recorded is held back: the requester is told to retry, and its retry gets those credentials, never others", async () => {
  const { redis, h, tenant, ledger } = await stack();
  // AssumeRole takes long enough for Redis to stop answering between the claim and the completion.
  await h.awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 400 } });
  const client = h.client(tenant, "demo-app", { attempts: 1, timeoutMs: 5000 });
  const requestId = uniqueRequestId();
  const ask = () => client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId });
  const callsBefore = await assumeRoleOk(h);
  const first = ask();
  await sleep(200);
  await redis.pause();
  try {
    await assert.rejects(first, (error: unknown) => {
      assert.ok(error instanceof CredvendError, String(error));
      assert.equal(error.reason, "CV_ERR_REDIS_UNAVAILABLE");
      assert.match(error.message, /were issued but Redis has not recorded them, so they are held back until it does; retry with the same request_id/);
      assert.ok((error.retryAfterMs ?? 0) > 0);
      return true;
    });
  } finally {
    await redis.resume();
  }
  let served: Awaited<ReturnType<typeof ask>> | undefined;
  for (let i = 0; i < 50 && served === undefined; i += 1) {
    served = await ask().catch(async () => {
      await sleep(100);
      return undefined;
    });
  }
  assert.ok(served, "the retry is served once Redis is back");
  assert.equal(served.replayed, true, "the retry replays the credentials held back");
  assert.equal(await assumeRoleOk(h) - callsBefore, 1, "one AssumeRole for the id");
  assert.deepEqual([...ledger.keysOf(requestId)], [served.accessKeyId], "the only access key any reply carried");
  // The audit names the credentials held back too: they existed in AWS from the first attempt.
  const events = await auditEventsOf(h, requestId);
  const heldBack = events.find((e) => e.reason === "CV_ERR_REDIS_UNAVAILABLE");
  assert.equal(heldBack?.accessKeyId, served.accessKeyId, JSON.stringify(events));
});

/** The audit events that name `requestId`, read from the stream message by message. */
async function auditEventsOf(h: Harness, requestId: string): Promise<AuditEvent[]> {
  const jsm = await h.nc.jetstreamManager();
  const { state } = await jsm.streams.info(AUDIT_STREAM);
  const events: AuditEvent[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq += 1) {
    const event = (await jsm.streams.getMessage(AUDIT_STREAM, { seq })).json<AuditEvent>();
    if (event.requestId === requestId) events.push(event);
  }
  return events;
}

// The test above kills Redis while AssumeRole is slow, so claims sit pending. Here nothing is slow:
// claims and settles run back to back, so the kills land while Redis is writing them (AOF fsync
// always), and retries of ids in flight race with the outage. Every refusal must say when to retry.
test("Redis SIGKILLed twice mid-claim with AOF, retries in flight: one access key and one AssumeRole per id, every refusal timed", async (t) => {
  const { redis, h, tenant, ledger } = await stack(["--appendonly", "yes", "--appendfsync", "always"]);
  const load = retriedLoad(h.nc, tenant, "demo-app", 60, 12);
  for (let kill = 0; kill < 2; kill += 1) {
    await sleep(150);
    await redis.kill();
    await sleep(150);
    await redis.startAgain();
  }
  const first = await load.finals;
  const tl = assertExactlyOnce("kill -9 mid-claim", first, ledger, load.requesters, []);
  await assertEachServedOnce(first, load.requesters, ledger);
  const refusals = load.requesters.flatMap((r) => r.refusals);
  assert.deepEqual(refusals.filter((r) => !(r.retryAfterMs > 0)), [], "every retryable refusal names when to retry");
  const calls = await assumeRoleOk(h);
  assert.equal(calls, load.requesters.length, "one AssumeRole per id");
  const byReason: Record<string, number> = {};
  for (const r of refusals) byReason[`${r.reason} (retry after ${r.retryAfterMs} ms)`] = (byReason[`${r.reason} (retry after ${r.retryAfterMs} ms)`] ?? 0) + 1;
  t.diagnostic(`kill -9 mid-claim: ${JSON.stringify(tl)}; refusals ${JSON.stringify(byReason)}; AssumeRole ${calls}`);
});
