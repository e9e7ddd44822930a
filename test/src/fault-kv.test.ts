// The config KV bucket lost: nats-server restarted WITHOUT its JetStream store (a new volume, a
// wiped node). The worker keeps its last good config and goes on vending, says in its log and in
// /readyz (as a warning: it can still vend) that the bucket is gone, and once a config is pushed
// again (a new bucket, whose revisions start again at 1) it follows that one.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { freePort, redisUrl, startNatsServer, uniqueName, type NatsServerHandle } from "@credvend/testkit";
import { CONFIG_KV_KEY, createLogger, openConfigBucket, runWorker, settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { devCredentials } from "@credvend/aws-local";
import { connect, type NatsConnection } from "nats";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { credvend } from "./support/cli.js";
import { demoConfig } from "./support/config.js";
import { rawRequester } from "./support/faults.js";
import { REGION } from "./support/harness.js";
import { until } from "./support/until.js";

const tenant = uniqueName("kvlost");
const bucket = uniqueName("cfg");
const v1 = demoConfig({ tenants: [tenant] });
const v2 = v1.replace('params: { bucket: ["acme-data", "shared-data"] }', 'params: { bucket: ["acme-data", "shared-data", "fresh-data"] }');
const v3 = v2.replace('params: { bucket: ["acme-data", "shared-data", "fresh-data"] }', 'params: { bucket: ["acme-data", "shared-data", "fresh-data", "newer-data"] }');
let port: number;
let nats: NatsServerHandle;
let awsLocal: AwsLocal;
let worker: RunningWorker;
let nc: NatsConnection;
const lines: string[] = [];
const firstStore = mkdtempSync(path.join(tmpdir(), "credvend-nats-store-"));
const secondStore = mkdtempSync(path.join(tmpdir(), "credvend-nats-store-"));
/** How long the worker gets to notice each change (its watch retries every second). */
const NOTICE_MS = 10_000;


/** /readyz: 200 or 503, then one "warning: <check>: ..." line per thing to fix. */
async function readyz(): Promise<{ status: number; warnings: string[]; text: string }> {
  const res = await fetch(`${worker.httpUrl}/readyz`);
  const text = await res.text();
  return { status: res.status, warnings: text.split("\n").filter((l) => l.startsWith("warning: ")), text };
}

before(async () => {
  assert.notEqual(v2, v1);
  assert.notEqual(v3, v2);
  port = await freePort();
  nats = await startNatsServer({ port, storeDir: firstStore });
  awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  nc = await connect({ servers: nats.url, name: "test-pusher", maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const kv = await openConfigBucket(nc, bucket, { create: true });
  await kv.put(CONFIG_KV_KEY, v1);
  // A few revisions, so the bucket pushed again later starts below the worker's last revision.
  await kv.put(CONFIG_KV_KEY, v1);
  await kv.put(CONFIG_KV_KEY, v2);
  const settings = settingsFromEnv({
    NATS_URL: nats.url, REDIS_URL: await redisUrl(), CREDVEND_CONFIG_KV_BUCKET: bucket, AWS_REGION: REGION,
    CREDVEND_LOG_LEVEL: "info", CREDVEND_HTTP_HOST: "127.0.0.1", CREDVEND_HTTP_PORT: "0",
  });
  const destination = new Writable({ write(chunk, _e, done) { lines.push(String(chunk)); done(); } });
  worker = await runWorker(settings, { http: true, logger: createLogger({ level: settings.logLevel, destination }), awsCredentials: devCredentials("credvend-vendor"), awsEndpoint: awsLocal.endpoint });
});
after(async () => {
  await nc?.close();
  await worker?.stop();
  await awsLocal?.stop();
  await nats?.stop();
  rmSync(firstStore, { recursive: true, force: true });
  rmSync(secondStore, { recursive: true, force: true });
});

test("config bucket lost with the nats-server store: last good config kept and served, the loss reported, a config pushed again is followed", async (t) => {
  assert.equal(worker.config.status().version, "kv:3");
  const fresh = () => rawRequester(nc, tenant, "demo-app").untilFinal(8000, 1200);
  assert.equal((await fresh()).kind, "credentials");

  await nats.stop();
  nats = await startNatsServer({ port, storeDir: secondStore });

  // Still vending with the last good config (the audit stream is re-created by the worker).
  const after = await fresh();
  assert.equal(after.kind, "credentials", JSON.stringify(after));
  assert.equal(worker.config.status().version, "kv:3", "the last good config stays");

  // The loss is reported: one log line that names the bucket and what to do, and /readyz warns.
  await until("a log line about the lost bucket", () => lines.some((l) => l.includes(bucket) && /config push/.test(l)), NOTICE_MS);
  await until("/readyz warns about the lost bucket", async () => {
    const r = await readyz();
    return r.status === 200 && r.warnings.some((w) => w.startsWith("warning: config: ") && w.includes(bucket));
  }, NOTICE_MS);
  // And `credvend status`, which an operator runs first, says it too.
  const status = await credvend(["status"], { NATS_URL: nats.url });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`SOURCE +NATS KV bucket '${bucket}' is gone`), status.stdout);

  // An operator pushes the config again: a new bucket, revision 1 (below the worker's kv:3).
  const kv = await openConfigBucket(nc, bucket, { create: true });
  const rev = await kv.put(CONFIG_KV_KEY, v3);
  assert.equal(rev, 1);
  await until("the worker on the pushed config", () => worker.config.status().version === `kv:${rev}`, NOTICE_MS);
  const r = await readyz();
  assert.ok(r.status === 200 && !r.warnings.some((w) => w.includes(bucket)), `warning cleared: ${r.text}`);
  // And it follows later revisions of the new bucket too.
  const rev2 = await kv.put(CONFIG_KV_KEY, v2);
  await until(`the worker on kv:${rev2}`, () => worker.config.status().version === `kv:${rev2}`, NOTICE_MS);
  assert.equal((await fresh()).kind, "credentials");
  t.diagnostic(`config lines: ${lines.filter((l) => l.includes(bucket)).length}`);
});
