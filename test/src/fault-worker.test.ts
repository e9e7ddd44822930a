// A worker SIGKILLed with AssumeRole calls open: its claims lapse (a short lease, renewed while a
// worker lives) well inside the client's retry budget, so another worker serves every retry,
// and no request id ever receives two different credentials.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { devCredentials } from "@credvend/aws-local";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { spawnCredvend, type CliProcess } from "./support/cli.js";
import { demoConfig } from "./support/config.js";
import { ReplyLedger } from "./support/faults.js";
import { RequestStrategy } from "nats";
import { REGION, startHarness, type Harness } from "./support/harness.js";

const tenant = uniqueName("killed");
let h: Harness;
let doomed: CliProcess;

before(async () => {
  h = await startHarness({ config: demoConfig({ tenants: [tenant] }) });
  const vendor = devCredentials("credvend-vendor");
  doomed = spawnCredvend(["worker"], {
    NATS_URL: h.natsUrl, REDIS_URL: h.redisUrl, CREDVEND_CONFIG: h.configFile, CREDVEND_LOG_LEVEL: "info",
    AWS_REGION: REGION, AWS_ENDPOINT_URL: h.awsLocal.endpoint,
    AWS_ACCESS_KEY_ID: vendor.accessKeyId, AWS_SECRET_ACCESS_KEY: vendor.secretAccessKey,
  });
  await doomed.waitFor(/"worker ready"/);
});
after(async () => {
  doomed?.kill();
  await h?.stop();
});

test("worker SIGKILLed mid-AssumeRole: every id is served by the other worker within the client's default retry budget, one access key per id", async (t) => {
  const ledger = new ReplyLedger(h.nc, tenant, "demo-app");
  await h.nc.flush();
  await h.awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 1000 } });
  // The client's defaults: 3 attempts of 5 s.
  const client = h.client(tenant, "demo-app");
  const ids = Array.from({ length: 16 }, () => uniqueRequestId());
  const started = Date.now();
  const results = Promise.allSettled(ids.map((requestId) => client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId })));
  // Killed only once it holds requests (its own $SRV.STATS say so), while AssumeRole is open.
  const childInFlight = async () => {
    for await (const s of await h.nc.services.client({ maxWait: 500, strategy: RequestStrategy.Timer }).stats("credvend-vendor")) {
      if (s.id !== h.vendor.worker.id) return (s.endpoints?.[0]?.data as { inFlight?: number } | undefined)?.inFlight ?? 0;
    }
    return 0;
  };
  let held = 0;
  for (let i = 0; i < 40 && held === 0; i += 1) held = await childInFlight();
  assert.ok(held > 0, "the worker to kill was serving some of the ids");
  await new Promise((r) => setTimeout(r, 300));
  doomed.child.kill("SIGKILL");
  const settled = await results;
  const elapsed = Date.now() - started;
  const failed = settled.filter((s) => s.status === "rejected").map((s) => String((s as PromiseRejectedResult).reason));
  assert.deepEqual(failed, [], "every id served");
  for (const [i, id] of ids.entries()) {
    const got = settled[i];
    assert.ok(got?.status === "fulfilled");
    assert.deepEqual([...ledger.keysOf(id)], [got.value.accessKeyId], `one access key for ${id}`);
  }
  const calls = (await h.awsLocal.admin.calls())["sts:AssumeRole"];
  t.diagnostic(`all ${ids.length} served in ${elapsed} ms; the killed worker held ${held}; AssumeRole ${calls?.total} (${(calls?.total ?? 0) - ids.length} spent by the killed worker, delivered to no one)`);
  ledger.close();
});
