// Fleet-wide config in NATS KV: two workers swap to each new valid version, refuse an invalid one
// (keeping the last good), and requests keep flowing without a failed reply throughout.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { KMSClient } from "@aws-sdk/client-kms";
import { devCredentials, startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { CredvendClient } from "@credvend/client";
import { redisUrl, startNatsServer, uniqueName, type NatsServerHandle } from "@credvend/testkit";
import { CONFIG_KV_KEY, createLogger, openConfigBucket, runWorker, settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { connect, type NatsConnection } from "nats";
import { demoConfig } from "./support/config.js";
import { REGION, REPLY_KEY_ARN } from "./support/harness.js";
import { credvend } from "./support/cli.js";

const tenant = uniqueName("kv");
const bucket = uniqueName("cfg");
let nats: NatsServerHandle;
let awsLocal: AwsLocal;
let nc: NatsConnection;
let kms: KMSClient;
const workers: RunningWorker[] = [];

const v1 = demoConfig({ tenants: [tenant] });
const v2 = v1.replace('params: { bucket: ["acme-data", "shared-data"] }', 'params: { bucket: ["acme-data", "shared-data", "fresh-data"] }');
const v3 = v2.replace('Action: ["s3:GetObject", "s3:ListBucket"]', 'Action: ["s3:*"]');

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  assert.notEqual(v2, v1);
  assert.notEqual(v3, v2);
  nats = await startNatsServer();
  awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  nc = await connect({ servers: nats.url });
  const kv = await openConfigBucket(nc, bucket, { create: true });
  await kv.put(CONFIG_KV_KEY, v1);
  const settings = settingsFromEnv({
    NATS_URL: nats.url, REDIS_URL: await redisUrl(), CREDVEND_CONFIG_KV_BUCKET: bucket, AWS_REGION: REGION,
    CREDVEND_LOG_LEVEL: process.env.CREDVEND_TEST_LOG_LEVEL ?? "silent",
  });
  for (const name of ["kv-worker-1", "kv-worker-2"]) {
    workers.push(await runWorker(settings, {
      name, logger: createLogger({ level: settings.logLevel, destination: process.stderr }),
      awsCredentials: devCredentials("credvend-vendor"), awsEndpoint: awsLocal.endpoint,
    }));
  }
  kms = new KMSClient({ region: REGION, endpoint: awsLocal.endpoint, credentials: devCredentials("demo-app") });
});

after(async () => {
  for (const w of workers) await w.stop();
  kms?.destroy();
  await nc?.close();
  await awsLocal?.stop();
  await nats?.stop();
});

test("hot reload through NATS KV across two workers, with a refused bad version, while requests flow", async () => {
  const client = new CredvendClient({ nc, tenant, principal: "demo-app", kms, replyKeyArn: REPLY_KEY_ARN, attempts: 1 });
  const failures: string[] = [];
  let served = 0;
  let flowing = true;
  const flow = (async () => {
    while (flowing) {
      try {
        await client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
        served += 1;
      } catch (e) {
        failures.push(String(e));
      }
    }
  })();

  const kv = await openConfigBucket(nc, bucket, { create: true });
  assert.equal(workers.every((w) => w.config.status().version === "kv:1"), true);
  await assert.rejects(client.request({ template: "s3-tenant-read", params: { bucket: "fresh-data" } }), { code: "PERMISSION_DENIED" });

  const servedSince = async (what: string) => {
    const mark = served;
    await until(`requests flowing ${what}`, () => served >= mark + 3);
  };
  await servedSince("before the first reload");

  const rev2 = await kv.put(CONFIG_KV_KEY, v2);
  await until("both workers on v2", () => workers.every((w) => w.config.status().version === `kv:${rev2}`));
  await servedSince("after v2");
  for (let i = 0; i < 6; i += 1) {
    const creds = await client.request({ template: "s3-tenant-read", params: { bucket: "fresh-data" } });
    assert.match(creds.accessKeyId, /^ASIA/);
  }

  const rev3 = await kv.put(CONFIG_KV_KEY, v3);
  await until("both workers refused v3", () => workers.every((w) => w.worker.stats().config.lastRefusal?.version === `kv:${rev3}`));
  for (const w of workers) {
    const status = w.worker.stats().config;
    assert.equal(status.version, `kv:${rev2}`, "the last good version stays");
    assert.ok(status.lastRefusal?.problems.some((p) => p.severity === "error" && /wildcard|\*/.test(p.message)), JSON.stringify(status.lastRefusal));
  }
  // The refusal is visible from outside the workers, through NATS service discovery.
  const status = await credvend(["status", "--json"], { NATS_URL: nats.url });
  assert.equal(status.code, 0, status.stderr);
  const reports = JSON.parse(status.stdout) as { id: string; stats: { config: { version: string; lastRefusal?: { version: string } } } }[];
  assert.deepEqual(reports.map((r) => r.id).sort(), workers.map((w) => w.worker.id).sort());
  for (const r of reports) {
    assert.equal(r.stats.config.version, `kv:${rev2}`);
    assert.equal(r.stats.config.lastRefusal?.version, `kv:${rev3}`);
  }
  const human = await credvend(["status"], { NATS_URL: nats.url });
  assert.match(human.stdout, new RegExp(`REFUSED    kv:${rev3}`));

  const stillServed = await client.request({ template: "s3-tenant-read", params: { bucket: "fresh-data" } });
  assert.match(stillServed.accessKeyId, /^ASIA/);
  await servedSince("after the refused v3");

  // The key deleted: the last good config keeps serving, and the workers say so until a put.
  await kv.delete(CONFIG_KV_KEY);
  await until("both workers report the deleted key", () => workers.every((w) => /was deleted from NATS KV bucket/.test(w.config.status().sourceProblem ?? "")));
  assert.ok(workers.every((w) => w.config.status().version === `kv:${rev2}`), "the last good version stays");
  await servedSince("after the key was deleted");
  const deleted = await credvend(["status"], { NATS_URL: nats.url });
  assert.match(deleted.stdout, /SOURCE +the config key '.+' was deleted/);
  const rev4 = await kv.put(CONFIG_KV_KEY, v2);
  await until("both workers on the config put again", () => workers.every((w) => w.config.status().version === `kv:${rev4}` && w.config.status().sourceProblem === undefined));

  flowing = false;
  await flow;
  assert.deepEqual(failures, [], "no request failed during the reloads");
});
