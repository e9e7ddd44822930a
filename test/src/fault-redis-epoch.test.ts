// Redis restarted without persistence (its records gone): requests sent after it came back are
// served at once, even a burst sent before any claim could write the tenant's new epoch, while
// every id that was issued before the loss is refused for good (CV_ERR_REQUEST_STALE).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { startRedisServer, uniqueName } from "@credvend/testkit";
import { demoConfig } from "./support/config.js";
import { rawRequester, ReplyLedger, tally } from "./support/faults.js";
import { startHarness } from "./support/harness.js";

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

test("after a Redis restart without persistence: a burst of new requests is served, ids issued before are stale", async (t) => {
  const redis = await startRedisServer();
  cleanups.push(() => redis.stop());
  const tenant = uniqueName("epoch");
  const h = await startHarness({ config: demoConfig({ tenants: [tenant] }), redisUrl: redis.url });
  cleanups.push(() => h.stop());
  const ledger = new ReplyLedger(h.nc, tenant, "demo-app");
  cleanups.push(async () => ledger.close());
  await h.nc.flush();

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
  const calls = (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0;
  assert.equal(calls, before.length + burst.length, "one AssumeRole per id");
  t.diagnostic(`epoch: ${JSON.stringify(tl)}; AssumeRole ${calls}`);
});
