// Stopping a worker whose drain timeout runs out: every request it took, running or still queued,
// gets exactly one reply (its result, or SHUTTING_DOWN so that the requester retries elsewhere);
// none is left to time out, and none runs after stop() returned.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { uniqueName } from "@credvend/testkit";
import { demoConfig } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";

const tenant = uniqueName("stopq");
let h: Harness;
const assumeRoleCalls = async () => (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;

before(async () => {
  h = await startHarness({
    config: demoConfig({ tenants: [tenant] }),
    env: { CREDVEND_MAX_IN_FLIGHT: "1", CREDVEND_MAX_QUEUED: "10", CREDVEND_DRAIN_TIMEOUT_MS: "300" },
  });
  await h.awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 1500 } });
});
after(async () => {
  await h?.stop();
});

test("stop() past the drain timeout answers the running and the queued requests", async () => {
  const client = h.client(tenant, "demo-app", { attempts: 1, timeoutMs: 4000 });
  const outcomes = Array.from({ length: 3 }, () => client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } })
    .then((c) => c.accessKeyId, (e: unknown) => (e instanceof CredvendError ? e.reason : String(e))));
  for (let i = 0; i < 200 && h.vendor.worker.stats().queued < 2; i += 1) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual([h.vendor.worker.stats().inFlight, h.vendor.worker.stats().queued], [1, 2]);
  const callsAtStop = await assumeRoleCalls();
  await h.vendor.stop();
  const results = await Promise.all(outcomes);
  assert.deepEqual(results, ["CV_ERR_SHUTTING_DOWN", "CV_ERR_SHUTTING_DOWN", "CV_ERR_SHUTTING_DOWN"]);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await assumeRoleCalls(), callsAtStop, "no queued request started after stop()");
});
