// A worker stops within its drain timeout even when NATS is already gone (reconnects never end,
// so an unbounded drain would hang the process forever).
import { test } from "node:test";
import assert from "node:assert/strict";
import { startAwsLocal } from "@credvend/aws-local";
import { redisUrl, startNatsServer, uniqueName } from "@credvend/testkit";
import { settingsFromEnv } from "@credvend/worker";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { demoConfig } from "./support/config.js";
import { runTestWorker } from "./support/worker.js";
import { REGION } from "./support/harness.js";

test("stop() returns within the drain timeout when NATS is down", async () => {
  const nats = await startNatsServer();
  const awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  const file = path.join(mkdtempSync(path.join(tmpdir(), "credvend-shutdown-")), "c.yaml");
  writeFileSync(file, demoConfig({ tenants: [uniqueName("sd")] }));
  const settings = settingsFromEnv({
    NATS_URL: nats.url, REDIS_URL: await redisUrl(), CREDVEND_CONFIG: file, AWS_REGION: REGION,
    CREDVEND_DRAIN_TIMEOUT_MS: "500", CREDVEND_LOG_LEVEL: "silent",
  });
  const vendor = await runTestWorker(settings, awsLocal.endpoint);
  await nats.stop();
  const started = Date.now();
  await vendor.stop();
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 3000, `stop took ${elapsed} ms`);
  assert.equal(vendor.nc.isClosed(), true);
  await awsLocal.stop();
  rmSync(path.dirname(file), { recursive: true, force: true });
});
