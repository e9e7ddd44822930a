// Rolling restart under load: two workers in the queue group are restarted one after the other
// while requesters keep asking. Every request gets its reply (none times out), and no request id
// is issued twice (AssumeRole calls equal the distinct request ids issued).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { uniqueName } from "@credvend/testkit";
import { settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { demoConfig } from "./support/config.js";
import { runTestWorker } from "./support/worker.js";
import { REGION, startHarness, type Harness } from "./support/harness.js";

const tenant = uniqueName("rolling");
let h: Harness;
const extra: RunningWorker[] = [];

before(async () => {
  h = await startHarness({ config: demoConfig({ tenants: [tenant] }), env: { CREDVEND_DRAIN_TIMEOUT_MS: "5000" } });
});
after(async () => {
  for (const w of extra) await w.stop();
  await h?.stop();
});

async function startWorker(name: string): Promise<RunningWorker> {
  const settings = settingsFromEnv({ NATS_URL: h.natsUrl, REDIS_URL: h.redisUrl, CREDVEND_CONFIG: h.configFile, AWS_REGION: REGION, CREDVEND_DRAIN_TIMEOUT_MS: "5000", CREDVEND_LOG_LEVEL: "silent" });
  const w = await runTestWorker(settings, h.awsLocal.endpoint, { name });
  extra.push(w);
  return w;
}

const assumeRoleCalls = async () => (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits until `count()` grew by `more` (load is running), at most 20 s. */
async function progress(count: () => number, more: number): Promise<void> {
  const target = count() + more;
  for (let i = 0; i < 200 && count() < target; i += 1) await sleep(100);
}

test("two workers restarted one after the other under load: every request answered, none issued twice", async (t) => {
  let a: RunningWorker = h.vendor;
  let b = await startWorker("worker-b");
  const client = h.client(tenant, "demo-app", { attempts: 1, timeoutMs: 8000 });
  const callsBefore = await assumeRoleCalls();
  const issued = new Set<string>();
  const errors: string[] = [];
  let asked = 0;
  let done = false;
  const loop = async () => {
    while (!done) {
      asked += 1;
      try {
        const c = await client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
        assert.ok(!issued.has(c.accessKeyId), "a credential was delivered twice");
        issued.add(c.accessKeyId);
      } catch (error) {
        errors.push(error instanceof CredvendError ? `${error.code} ${error.reason}` : String(error));
      }
    }
  };
  const loops = Array.from({ length: 6 }, loop);
  await progress(() => issued.size, 20);
  const servedBeforeRestart = issued.size;
  // Restart a, then b: at every moment one worker is in the queue group.
  await a.stop();
  a = await startWorker("worker-a2");
  await progress(() => issued.size, 20);
  await b.stop();
  b = await startWorker("worker-b2");
  await progress(() => issued.size, 20);
  done = true;
  await Promise.all(loops);

  assert.deepEqual(errors, [], `${errors.length} of ${asked} requests failed`);
  assert.equal(issued.size, asked, "every request got its credentials");
  assert.ok(servedBeforeRestart > 0 && issued.size > servedBeforeRestart + 10, `served ${servedBeforeRestart} before, ${issued.size} in all`);
  assert.equal((await assumeRoleCalls()) - callsBefore, issued.size, "one AssumeRole per request id");
  const served = a.worker.stats().served + b.worker.stats().served;
  assert.ok(served > 0, "the restarted workers served requests");
  t.diagnostic(`asked ${asked}, restarted workers served ${served}`);
});
