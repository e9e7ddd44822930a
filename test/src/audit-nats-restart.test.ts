// Audit events of decisions made while nats-server is down: requests received before a restart
// (store kept) are decided while the worker's connection is gone (slow STS), and answered after it
// reconnects. Every credential a requester ends up with is named by an issued or replayed event in
// the stream ("required" mode: no credentials leave before their event is acknowledged), and the
// refusals decided during the outage are all counted once the worker is back: nats.js discards what
// was published while disconnected (its outbound buffer is reset on each dial), so the auditor holds
// those events until the reconnect. Real nats-server (JetStream), redis-server, aws-local.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { encodeRequest, replySubject, requestSubject } from "@credvend/protocol";
import { freePort, redisUrl, startNatsServer, uniqueName, uniqueRequestId, type NatsServerHandle } from "@credvend/testkit";
import { settingsFromEnv, type AuditEvent, type RunningWorker } from "@credvend/worker";
import { connect, type NatsConnection } from "nats";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { decisionsIn, tenantEvents } from "./support/audit-stream.js";
import { demoConfig } from "./support/config.js";
import { rawRequester } from "./support/faults.js";
import { REGION } from "./support/harness.js";
import { until } from "./support/until.js";
import { runTestWorker } from "./support/worker.js";

const tenant = uniqueName("audrs");
const dir = mkdtempSync(path.join(tmpdir(), "credvend-audit-restart-"));
const storeDir = path.join(dir, "store");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let port: number;
let nats: NatsServerHandle;
let awsLocal: AwsLocal;
let worker: RunningWorker;
let nc: NatsConnection;

before(async () => {
  port = await freePort();
  nats = await startNatsServer({ port, storeDir });
  awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  const configFile = path.join(dir, "credvend.yaml");
  writeFileSync(configFile, demoConfig({ tenants: [tenant] }));
  worker = await runTestWorker(settingsFromEnv({
    NATS_URL: nats.url, REDIS_URL: await redisUrl(), CREDVEND_CONFIG: configFile, AWS_REGION: REGION, CREDVEND_LOG_LEVEL: "silent",
    // Short windows, so that some close (and publish their summaries) while NATS is down.
    CREDVEND_AUDIT_REFUSAL_WINDOW_MS: "400",
  }), awsLocal.endpoint);
  nc = await connect({ servers: nats.url, name: "test-requester", maxReconnectAttempts: -1, reconnectTimeWait: 100 });
});
after(async () => {
  await nc?.close();
  await worker?.stop();
  await awsLocal?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("decisions made while nats-server restarts: every credential handed out has its event, every refusal is counted", async (t) => {
  await awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 800 } });
  const requesters = Array.from({ length: 8 }, () => rawRequester(nc, tenant, "demo-app"));
  const finals = Promise.all(requesters.map((r) => r.untilFinal(20_000, 1500)));
  // Requests whose deadline passes during the slow STS call, i.e. while NATS is down: each is one
  // refusal ("failed", the deadline), decided once (sent once; nobody waits for its reply).
  const LATE = 40;
  for (let i = 0; i < LATE; i += 1) {
    const requestId = uniqueRequestId();
    const now = Date.now();
    nc.publish(requestSubject(tenant, "other-app"), encodeRequest({ requestId, template: "s3-tenant-read", params: { bucket: "acme-data" }, clientTimeMs: now, deadlineMs: now + 450 }), { reply: replySubject(tenant, "other-app", requestId) });
  }
  await nc.flush();
  await sleep(200);
  await nats.stop();
  await sleep(1300);
  // Decided during the outage: held by the worker (first events and summaries of closed windows).
  const heldInOutage = worker.worker.stats().audit.held;
  assert.ok(heldInOutage > 0, "refusals decided while NATS is down are held, not handed to nats.js");
  nats = await startNatsServer({ port, storeDir });
  const got = await finals;
  await awsLocal.admin.setFaults({});
  assert.ok(got.every((f) => f.kind === "credentials"), JSON.stringify(got));
  const keys = got.map((f) => (f.kind === "credentials" ? f.accessKeyId : ""));

  let events: AuditEvent[] = [];
  const late = (e: AuditEvent) => e.principal === "other-app" && e.outcome !== "issued";
  await until("the refusals decided during the outage in the stream", async () => {
    events = await tenantEvents(nc, tenant).catch(() => []);
    return decisionsIn(events.filter(late)) >= LATE;
  }, 10_000, 200).catch(() => undefined);
  const named = new Set(events.filter((e) => e.outcome === "issued" || e.outcome === "replayed").map((e) => e.accessKeyId));
  assert.deepEqual(keys.filter((k) => !named.has(k)), [], "every credential handed out is named by a stored event");
  const reasons = [...new Set(events.filter(late).map((e) => e.reason))];
  assert.equal(decisionsIn(events.filter(late)), LATE, `every refusal decided while NATS was down is counted (${JSON.stringify(reasons)})`);
  const audit = worker.worker.stats().audit;
  assert.deepEqual({ held: audit.held, dropped: audit.dropped }, { held: 0, dropped: 0 }, "what was held was sent after the reconnect, none lost");
  t.diagnostic(`held during the outage: ${heldInOutage}; events stored: ${events.length}; outcomes ${JSON.stringify(events.map((e) => `${e.outcome}${e.count ? `×${e.count}` : ""}`))}; requester attempts ${JSON.stringify(got.map((f) => f.attempts))}`);
});
