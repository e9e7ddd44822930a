// Redis Sentinel, for real: a primary with two replicas watched by a Sentinel (the local
// redis-server binary), a worker with REDIS_URL=redis+sentinel://…/NAME and WAIT 1, and a load of
// vends with request ids (and retries of the same ids) while the primary is SIGKILLed and Sentinel
// promotes a replica. For every id: never issued twice (one access key in all its replies, one
// AssumeRole per id), never lost, never hung; the worker follows the new primary by itself.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { startNatsServer, startRedisSentinel, uniqueName, type NatsServerHandle, type RedisSentinelHandle } from "@credvend/testkit";
import { settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { connect, type NatsConnection } from "nats";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { demoConfig } from "./support/config.js";
import { assertEachServedOnce, ReplyLedger, retriedLoad } from "./support/faults.js";
import { runTestWorker } from "./support/worker.js";
import { REGION } from "./support/harness.js";

const tenant = uniqueName("sentinel");
const dir = mkdtempSync(path.join(tmpdir(), "credvend-sentinel-test-"));
const PASSWORD = "sentinel-test-password-0123456789";
let nats: NatsServerHandle;
let redis: RedisSentinelHandle;
let awsLocal: AwsLocal;
let worker: RunningWorker;
let nc: NatsConnection;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  [nats, redis] = await Promise.all([startNatsServer(), startRedisSentinel({ password: PASSWORD, replicas: 2 })]);
  awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  const configFile = path.join(dir, "credvend.yaml");
  writeFileSync(configFile, demoConfig({ tenants: [tenant] }));
  nc = await connect({ servers: nats.url, name: "test-requester" });
  const settings = settingsFromEnv({
    NATS_URL: nats.url,
    REDIS_URL: redis.url,
    CREDVEND_REDIS_WAIT_REPLICAS: "1",
    CREDVEND_CONFIG: configFile,
    AWS_REGION: REGION,
    CREDVEND_LOG_LEVEL: "silent",
  });
  worker = await runTestWorker(settings, awsLocal.endpoint, { name: "worker-sentinel" });
});
after(async () => {
  await nc?.close();
  await worker?.stop();
  await awsLocal?.stop();
  await redis?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("a worker on a Sentinel-managed primary: the primary killed under load and a replica promoted, every id issued once", async () => {
  const ledger = new ReplyLedger(nc, tenant, "demo-app");
  await nc.flush();
  // STS takes a while, so the crash finds requests between claim and completion.
  await awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 150 } });
  const { requesters, finals } = retriedLoad(nc, tenant, "demo-app", 40);

  await sleep(600);
  const primary = await redis.primary();
  await primary.kill();
  const promoted = await redis.waitFailedOver(primary);
  assert.notEqual(promoted.port, primary.port);

  // Every id asked again after the failover: the stored reply, never a second issuance.
  await assertEachServedOnce(await finals, requesters, ledger);
  assert.equal((await awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0, requesters.length, "one AssumeRole per request id");
});

test("a Sentinel URL that does not parse is refused at start with what a valid one looks like, never echoing the password", () => {
  assert.throws(() => settingsFromEnv({ REDIS_URL: `redis+sentinel://:${PASSWORD}@127.0.0.1:26379` }), (e: Error) => {
    assert.match(e.message, /redis\+sentinel:\/\/\[user:password@\]host:port\[,host:port\.\.\.\]\/PRIMARY-NAME/);
    assert.ok(!e.message.includes(PASSWORD));
    return true;
  });
});
