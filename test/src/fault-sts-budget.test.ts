// The fleet-wide STS budget: two workers, one bucket in Redis per AWS account and region; together
// they stay under the configured rate, and every request is still served (bursts wait a little,
// beyond that a retryable refusal with retry-after that the client honours).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startRedisServer, uniqueName, type RedisServerHandle } from "@credvend/testkit";
import { settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { demoConfig } from "./support/config.js";
import { runTestWorker } from "./support/worker.js";
import { REGION, startHarness, type Harness } from "./support/harness.js";

const tenant = uniqueName("budget");
const RATE = 10;
const BURST = 2;
const env = { CREDVEND_STS_BUDGET_PER_SECOND: String(RATE), CREDVEND_STS_BUDGET_BURST: String(BURST) };
let h: Harness;
let second: RunningWorker;
let redis: RedisServerHandle;

before(async () => {
  // Its own Redis: the bucket is the fleet's (region and account, not tenant), and other test
  // files' workers must not share this one's slow rate.
  redis = await startRedisServer();
  h = await startHarness({ config: demoConfig({ tenants: [tenant] }), env, redisUrl: redis.url });
  const settings = settingsFromEnv({
    NATS_URL: h.natsUrl, REDIS_URL: h.redisUrl, CREDVEND_CONFIG: h.configFile, AWS_REGION: REGION, CREDVEND_LOG_LEVEL: "silent", ...env,
  });
  second = await runTestWorker(settings, h.awsLocal.endpoint, { name: "second-worker" });
});
after(async () => {
  await second?.stop();
  await h?.stop();
  await redis?.stop();
});

test("two workers together stay under the fleet's STS rate, and every request is served", async (t) => {
  const n = 30;
  const client = h.client(tenant, "demo-app", { timeoutMs: 5000 });
  const started = Date.now();
  const served = await Promise.all(Array.from({ length: n }, () => client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } })));
  const elapsedS = (Date.now() - started) / 1000;
  assert.equal(served.length, n);
  const calls = (await h.awsLocal.admin.calls())["sts:AssumeRole"];
  assert.equal(calls?.ok, n, "one AssumeRole per request");
  const w1 = h.vendor.worker.stats().served;
  const w2 = second.worker.stats().served;
  assert.ok(w1 > 0 && w2 > 0, `both workers served (${w1} + ${w2})`);
  // GCRA: at most BURST at once, then RATE per second.
  const bound = BURST + RATE * elapsedS;
  assert.ok(n <= bound + 1, `${n} calls in ${elapsedS.toFixed(2)} s exceed ${RATE}/s + burst ${BURST}`);
  assert.ok(elapsedS >= (n - BURST) / RATE * 0.9, `${n} calls took only ${elapsedS.toFixed(2)} s: the budget did not hold them back`);
  t.diagnostic(`${n} AssumeRole in ${elapsedS.toFixed(2)} s (${(n / elapsedS).toFixed(1)}/s, budget ${RATE}/s burst ${BURST}); workers served ${w1} + ${w2}`);
});
