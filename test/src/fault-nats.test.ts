// nats-server restarted under load: the worker and the requesters reconnect by themselves, and
// every request id still ends with credentials (at most one access key each), none lost or hung.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { freePort, redisUrl, startNatsServer, uniqueName, type NatsServerHandle } from "@credvend/testkit";
import { settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { connect, type NatsConnection } from "nats";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { demoConfig } from "./support/config.js";
import { rawRequester, ReplyLedger, tally } from "./support/faults.js";
import { runTestWorker } from "./support/worker.js";
import { REGION } from "./support/harness.js";

const tenant = uniqueName("natsfault");
let port: number;
let nats: NatsServerHandle;
let awsLocal: AwsLocal;
let worker: RunningWorker;
let nc: NatsConnection;
// A restarted nats-server keeps its JetStream store (the audit stream lives there), as a real one does.
const storeDir = mkdtempSync(path.join(tmpdir(), "credvend-nats-store-"));
const configDir = mkdtempSync(path.join(tmpdir(), "credvend-test-"));

before(async () => {
  port = await freePort();
  nats = await startNatsServer({ port, storeDir });
  awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  const configFile = path.join(configDir, "credvend.yaml");
  writeFileSync(configFile, demoConfig({ tenants: [tenant] }));
  const settings = settingsFromEnv({ NATS_URL: nats.url, REDIS_URL: await redisUrl(), CREDVEND_CONFIG: configFile, AWS_REGION: REGION, CREDVEND_LOG_LEVEL: "silent" });
  worker = await runTestWorker(settings, awsLocal.endpoint);
  nc = await connect({ servers: nats.url, name: "test-requester", maxReconnectAttempts: -1, reconnectTimeWait: 100 });
});
after(async () => {
  await nc?.close();
  await worker?.stop();
  await awsLocal?.stop();
  await nats?.stop();
  rmSync(storeDir, { recursive: true, force: true });
  rmSync(configDir, { recursive: true, force: true });
});

test("nats-server restarted under load: every id served, one access key each, none hung", async (t) => {
  const ledger = new ReplyLedger(nc, tenant, "demo-app");
  await nc.flush();
  const requesters = Array.from({ length: 40 }, () => rawRequester(nc, tenant, "demo-app"));
  const finals = Promise.all(requesters.map(async (r, i) => {
    await new Promise((res) => setTimeout(res, i * 20));
    return r.untilFinal(15_000, 1000);
  }));
  await new Promise((r) => setTimeout(r, 300));
  await nats.stop();
  await new Promise((r) => setTimeout(r, 300));
  nats = await startNatsServer({ port, storeDir });
  const first = await finals;
  const again = await Promise.all(requesters.map((r) => r.untilFinal(5000, 1000)));
  const tl = tally([...first, ...again], ledger, requesters.map((r) => r.requestId));
  assert.equal(tl.issuedTwice, 0, JSON.stringify(tl));
  assert.equal(tl.hung, 0, JSON.stringify(tl));
  assert.ok([...first, ...again].every((f) => f.kind === "credentials"), JSON.stringify(tl));
  const calls = (await awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0;
  assert.equal(calls, requesters.length, "one AssumeRole per id");
  t.diagnostic(`nats restart: ${JSON.stringify(tl)}; AssumeRole ${calls}`);
  ledger.close();
});
