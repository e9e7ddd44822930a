// Redis down: the vendor answers UNAVAILABLE fast (never hangs a request), and serves again as
// soon as Redis is back, without a restart.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { startRedisServer, uniqueName, type RedisServerHandle } from "@credvend/testkit";
import { demoConfig } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";

const tenant = uniqueName("outage");
let redis: RedisServerHandle;
let h: Harness;

before(async () => {
  redis = await startRedisServer();
  h = await startHarness({ config: demoConfig({ tenants: [tenant] }), redisUrl: redis.url });
});
after(async () => {
  await h?.stop();
  await redis?.stop();
});

test("Redis stopped → UNAVAILABLE within a second; service resumes when Redis is back", async () => {
  const client = h.client(tenant, "demo-app", { attempts: 1, timeoutMs: 3000 });
  const ask = () => client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
  assert.match((await ask()).accessKeyId, /^ASIA/);

  await redis.stopOnly();
  const started = Date.now();
  await assert.rejects(ask(), (error: unknown) => {
    assert.ok(error instanceof CredvendError, String(error));
    assert.equal(error.code, "UNAVAILABLE");
    assert.equal(error.reason, "CV_ERR_REDIS_UNAVAILABLE");
    assert.ok((error.retryAfterMs ?? 0) > 0);
    return true;
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 1000, `refused after ${elapsed} ms`);

  await redis.startAgain();
  let served = false;
  for (let i = 0; i < 50 && !served; i += 1) {
    try {
      await ask();
      served = true;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  assert.ok(served, "served again after Redis came back");
});
