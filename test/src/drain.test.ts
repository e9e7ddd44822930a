// Stopping a worker (SIGTERM) drains: requests already taken are answered, none is lost.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { uniqueName } from "@credvend/testkit";
import { demoConfig } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";

const tenant = uniqueName("drain");
let h: Harness;

before(async () => {
  h = await startHarness({ config: demoConfig({ tenants: [tenant] }) });
  await h.awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 300 } });
});
after(async () => {
  await h?.stop();
});

test("requests in flight when the worker stops still get their credentials", async () => {
  const client = h.client(tenant, "demo-app", { attempts: 1, timeoutMs: 5000 });
  const pending = Array.from({ length: 10 }, () => client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } }));
  // Let the worker take them all, then stop it while AssumeRole calls are still in progress.
  for (let i = 0; i < 50 && h.vendor.worker.stats().inFlight < 10; i += 1) await new Promise((r) => setTimeout(r, 10));
  assert.equal(h.vendor.worker.stats().inFlight, 10);
  await h.vendor.worker.stop();
  const results = await Promise.all(pending);
  assert.equal(results.length, 10);
  for (const r of results) assert.match(r.accessKeyId, /^ASIA/);
});
