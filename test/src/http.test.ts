// The worker's HTTP port: /readyz follows Redis (503 naming it while Redis is down, 200 when it is
// back), /metrics counts exactly the vends done, and every metric the Grafana dashboard queries exists.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { KMSClient } from "@aws-sdk/client-kms";
import { devCredentials, startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { CredvendClient } from "@credvend/client";
import { metricSum, startNatsServer, startRedisServer, uniqueName, type RedisServerHandle } from "@credvend/testkit";
import { settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { connect, type NatsConnection } from "nats";
import { demoConfig } from "./support/config.js";
import { runTestWorker } from "./support/worker.js";
import { REGION, REPLY_KEY_ARN } from "./support/harness.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const tenant = uniqueName("http");
let nats: Awaited<ReturnType<typeof startNatsServer>>;
let redis: RedisServerHandle;
let awsLocal: AwsLocal;
let vendor: RunningWorker;
let nc: NatsConnection;
let kms: KMSClient;
let url: string;
const configDir = mkdtempSync(path.join(tmpdir(), "credvend-http-"));

before(async () => {
  nats = await startNatsServer();
  redis = await startRedisServer();
  awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  const file = path.join(configDir, "c.yaml");
  writeFileSync(file, demoConfig({ tenants: [tenant] }));
  const settings = settingsFromEnv({ NATS_URL: nats.url, REDIS_URL: redis.url, CREDVEND_CONFIG: file, AWS_REGION: REGION, CREDVEND_HTTP_PORT: "0", CREDVEND_LOG_LEVEL: "silent" });
  vendor = await runTestWorker(settings, awsLocal.endpoint, { http: true });
  url = vendor.httpUrl ?? assert.fail("no http url");
  nc = await connect({ servers: nats.url });
  kms = new KMSClient({ region: REGION, endpoint: awsLocal.endpoint, credentials: devCredentials("demo-app") });
});
after(async () => {
  kms?.destroy();
  await nc?.close();
  await vendor?.stop();
  await awsLocal?.stop();
  await redis?.stop();
  await nats?.stop();
  rmSync(configDir, { recursive: true, force: true });
});

const get = async (p: string) => {
  const r = await fetch(url + p);
  return { status: r.status, text: await r.text() };
};


test("bound to 127.0.0.1 on a free port; /healthz answers; unknown paths are 404", async () => {
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal((await get("/healthz")).status, 200);
  assert.equal((await get("/nope")).status, 404);
});

test("/metrics counts what was done; every dashboard metric exists", async () => {
  const before = (await get("/metrics")).text;
  const client = new CredvendClient({ nc, tenant, principal: "demo-app", kms, replyKeyArn: REPLY_KEY_ARN });
  const vends = 4;
  for (let i = 0; i < vends; i += 1) await client.request({ template: "s3-tenant-read", params: { bucket: `acme-data` } });
  await assert.rejects(client.request({ template: "no-such-template", params: {} }));
  const text = (await get("/metrics")).text;
  const delta = (name: string, labels: Record<string, string> = {}) => metricSum(text, name, labels) - metricSum(before, name, labels);

  assert.equal(delta("credvend_requests_total", { outcome: "issued", template: "s3-tenant-read" }), vends);
  assert.equal(delta("credvend_requests_total", { outcome: "refused" }), 1);
  // Each issued credential came from STS or from reuse, never both, never neither.
  assert.equal(delta("credvend_aws_calls_total", { service: "sts" }) + delta("credvend_cache_hits_total", { cache: "reuse" }), vends);
  // Each seal used a fresh data key or a cached one.
  assert.equal(delta("credvend_aws_calls_total", { service: "kms", operation: "GenerateDataKey" }) + delta("credvend_cache_hits_total", { cache: "data_key" }), vends);
  assert.equal(delta("credvend_stage_duration_seconds_count", { stage: "encrypt" }), vends);
  assert.equal(metricSum(text, "credvend_in_flight_requests"), 0);
  assert.equal(metricSum(text, "credvend_config_info"), 1);
  // Audit ("required" mode): each issuance acknowledged by the stream; the refusal, the first of its
  // kind in its window, posted in full, its window still open; nothing held or lost.
  assert.equal(delta("credvend_audit_events_total", { result: "stored" }), vends);
  assert.equal(delta("credvend_audit_events_total", { result: "posted" }), 1);
  assert.ok(metricSum(text, "credvend_audit_refusal_windows") >= 1, "the refusal's window is open");
  assert.equal(metricSum(text, "credvend_audit_held_events"), 0);
  assert.equal(metricSum(text, "credvend_audit_events_total", { result: "dropped" }) + metricSum(text, "credvend_audit_events_total", { result: "failed" }), 0);

  const dashboard = readFileSync(path.join(ROOT, "docs/grafana-dashboard.json"), "utf8");
  const used = new Set([...dashboard.matchAll(/credvend_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, "")));
  assert.ok(used.size >= 10, `dashboard uses ${used.size} metrics`);
  const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
  for (const name of used) assert.ok(exposed.has(name), `dashboard metric ${name} is not in /metrics`);
});

test("/readyz is 503 naming Redis while it is down, 200 when it is back", async () => {
  assert.deepEqual(await get("/readyz"), { status: 200, text: "ready\n" });
  await redis.stopOnly();
  let down = await get("/readyz");
  for (let i = 0; i < 50 && down.status === 200; i += 1) {
    await new Promise((r) => setTimeout(r, 100));
    down = await get("/readyz");
  }
  assert.equal(down.status, 503);
  assert.match(down.text, /^redis: Redis not ready/m);
  assert.doesNotMatch(down.text, /nats|config|reply-key/);
  await redis.startAgain();
  let up = await get("/readyz");
  for (let i = 0; i < 100 && up.status !== 200; i += 1) {
    await new Promise((r) => setTimeout(r, 100));
    up = await get("/readyz");
  }
  assert.equal(up.status, 200, up.text);
});


test("/readyz reports the worker's own reply-key finding: 503 with what to fix while the key is unusable, the same state the worker refuses requests by", async () => {
  const file = path.join(configDir, "broken.yaml");
  writeFileSync(file, demoConfig({ tenants: [tenant] }));
  const settings = settingsFromEnv({
    NATS_URL: nats.url, REDIS_URL: redis.url, CREDVEND_CONFIG: file, AWS_REGION: REGION, CREDVEND_HTTP_PORT: "0", CREDVEND_LOG_LEVEL: "silent",
    CREDVEND_REPLY_KEY_ID: "alias/no-such-reply-key",
  });
  const broken = await runTestWorker(settings, awsLocal.endpoint, { http: true });
  try {
    const readiness = broken.replyKey();
    assert.equal(readiness.state, "unusable");
    const r = await fetch(`${broken.httpUrl ?? assert.fail("no http url")}/readyz`);
    const text = await r.text();
    assert.equal(r.status, 503);
    assert.match(text, /^reply-key: DescribeKey of the reply key alias\/no-such-reply-key failed: .* \(CV_ERR_KMS_KEY_NOT_FOUND\)$/m);
    assert.doesNotMatch(text, /^(redis|nats|config):/m);
  } finally {
    await broken.stop();
  }
});
