// nats-server restarted (same port, JetStream store kept) while AssumeRole is slow, so the worker
// finishes requests and publishes their replies while its connection is down. Each id, retried with
// its very same payload, ends with one access key from one AssumeRole; and the worker recovers by
// itself: new requests are served and audited, its config KV watch sees a new revision, and it
// answers service discovery (the NATS services API and its peer subscription are re-subscribed).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { freePort, redisUrl, startNatsServer, uniqueName, type NatsServerHandle } from "@credvend/testkit";
import { AUDIT_STREAM, auditSubject, CONFIG_KV_KEY, openConfigBucket, settingsFromEnv, type AuditEvent, type RunningWorker } from "@credvend/worker";
import { connect, type NatsConnection } from "nats";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { demoConfig } from "./support/config.js";
import { rawRequester, ReplyLedger, tally } from "./support/faults.js";
import { REGION } from "./support/harness.js";
import { testPeerKeyFile } from "./support/peer-key.js";
import { runTestWorker } from "./support/worker.js";
import { until } from "./support/until.js";

const tenant = uniqueName("natsrs");
const bucket = uniqueName("cfg");
const v1 = demoConfig({ tenants: [tenant] });
const v2 = v1.replace('params: { bucket: ["acme-data", "shared-data"] }', 'params: { bucket: ["acme-data", "shared-data", "fresh-data"] }');
let port: number;
let nats: NatsServerHandle;
let awsLocal: AwsLocal;
let worker: RunningWorker;
let nc: NatsConnection;
// The store outlives the server process: the audit stream and the config bucket survive the restart.
const storeDir = mkdtempSync(path.join(tmpdir(), "credvend-nats-store-"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


before(async () => {
  assert.notEqual(v2, v1);
  port = await freePort();
  nats = await startNatsServer({ port, storeDir });
  awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  nc = await connect({ servers: nats.url, name: "test-requester", maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  await (await openConfigBucket(nc, bucket, { create: true })).put(CONFIG_KV_KEY, v1);
  const settings = settingsFromEnv({
    NATS_URL: nats.url, REDIS_URL: await redisUrl(), CREDVEND_CONFIG_KV_BUCKET: bucket, AWS_REGION: REGION,
    CREDVEND_LOG_LEVEL: "silent", CREDVEND_PEER_KEY_FILE: testPeerKeyFile(),
  });
  worker = await runTestWorker(settings, awsLocal.endpoint);
});
after(async () => {
  await nc?.close();
  await worker?.stop();
  await awsLocal?.stop();
  await nats?.stop();
  rmSync(storeDir, { recursive: true, force: true });
});

test("nats-server restarted with its store while replies are being published: same credentials on retry, one AssumeRole per id, the worker recovers", async (t) => {
  // Slow enough that requests claimed before the stop complete while the connection is down.
  await awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 600 } });
  const ledger = new ReplyLedger(nc, tenant, "demo-app");
  await nc.flush();
  const requesters = Array.from({ length: 24 }, () => rawRequester(nc, tenant, "demo-app"));
  const finals = Promise.all(requesters.map(async (r, i) => {
    await sleep(i * 15);
    return r.untilFinal(15_000, 1200);
  }));
  await sleep(250);
  await nats.stop();
  await sleep(900);
  nats = await startNatsServer({ port, storeDir });
  const first = await finals;
  await awsLocal.admin.setFaults({});
  const again = await Promise.all(requesters.map((r) => r.untilFinal(8000, 1200)));
  const tl = tally([...first, ...again], ledger, requesters.map((r) => r.requestId));
  assert.equal(tl.issuedTwice, 0, JSON.stringify(tl));
  assert.equal(tl.hung, 0, JSON.stringify(tl));
  assert.ok([...first, ...again].every((f) => f.kind === "credentials"), JSON.stringify({ tl, first, again }));
  // The first answer and the retry name the same access key (a lost reply was re-served, not re-issued).
  for (let i = 0; i < requesters.length; i += 1) {
    const a = first[i];
    const b = again[i];
    assert.ok(a?.kind === "credentials" && b?.kind === "credentials" && a.accessKeyId === b.accessKeyId, `id ${i}: ${JSON.stringify([a, b])}`);
  }
  const calls = (await awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0;
  assert.equal(calls, requesters.length, "one AssumeRole per id");

  // Recovery without a worker restart. A new request is served and its audit event is in the stream.
  const fresh = rawRequester(nc, tenant, "demo-app");
  const served = await fresh.untilFinal(5000, 1200);
  assert.equal(served.kind, "credentials", JSON.stringify(served));
  const jsm = await nc.jetstreamManager();
  await until("the new request's audit event", async () => {
    const m = await jsm.streams.getMessage(AUDIT_STREAM, { last_by_subj: auditSubject(tenant, "demo-app") }).catch(() => undefined);
    return m?.json<AuditEvent>().requestId === fresh.requestId;
  });
  // The config watch follows the bucket after the restart.
  const rev2 = await (await openConfigBucket(nc, bucket)).put(CONFIG_KV_KEY, v2);
  await until(`the worker on kv:${rev2}`, () => worker.config.status().version === `kv:${rev2}`);
  // Service discovery (and with it the worker's subscriptions) answers again.
  const ping = await nc.request(`$SRV.PING.credvend-vendor.${worker.worker.id}`, undefined, { timeout: 2000 }).catch((e: unknown) => String(e));
  assert.ok(typeof ping !== "string", `$SRV.PING after the restart: ${String(ping)}`);
  t.diagnostic(`restart with store: ${JSON.stringify(tl)}; AssumeRole ${calls}`);
  ledger.close();
});
