// The audit stream (JetStream) full or gone: in "required" mode a vend is refused as retryable
// (CV_ERR_AUDIT_UNAVAILABLE, retry-after), no credentials leave, and the sealed credentials stay in
// the idempotency record, so once the stream takes events again the retry is a replay (one
// AssumeRole per id). A nats-server restarted without its store (or without JetStream at all)
// loses the stream: the worker must make it again by itself, not only at its own start.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { freePort, redisUrl, startNatsServer, uniqueName, type NatsServerHandle } from "@credvend/testkit";
import { AUDIT_STREAM, settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { connect, DiscardPolicy, type NatsConnection } from "nats";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { demoConfig } from "./support/config.js";
import { rawRequester, ReplyLedger, tally, type RawRequester } from "./support/faults.js";
import { runTestWorker } from "./support/worker.js";
import { REGION } from "./support/harness.js";

const tenant = uniqueName("jsfault");
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
let port: number;
let nats: NatsServerHandle;
let awsLocal: AwsLocal;
let worker: RunningWorker;
let nc: NatsConnection;
let ledger: ReplyLedger;

before(async () => {
  port = await freePort();
  nats = await startNatsServer({ port, storeDir: tempDir("credvend-nats-store-") });
  awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  const configFile = path.join(tempDir("credvend-test-"), "credvend.yaml");
  writeFileSync(configFile, demoConfig({ tenants: [tenant] }));
  const settings = settingsFromEnv({ NATS_URL: nats.url, REDIS_URL: await redisUrl(), CREDVEND_CONFIG: configFile, AWS_REGION: REGION, CREDVEND_LOG_LEVEL: "silent" });
  worker = await runTestWorker(settings, awsLocal.endpoint);
  nc = await connect({ servers: nats.url, name: "test-requester", maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  ledger = new ReplyLedger(nc, tenant, "demo-app");
  await nc.flush();
});
after(async () => {
  ledger?.close();
  await nc?.close();
  await worker?.stop();
  await awsLocal?.stop();
  await nats?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const assumeRoleOk = async () => (await awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0;

/**
 * Asks each id until it is refused (the requester and the worker may still be reconnecting):
 * what the requester is told while the stream is away.
 */
async function refusedWhileAway(requesters: readonly RawRequester[], budgetMs: number): Promise<void> {
  await Promise.all(requesters.map(async (r) => {
    const until = Date.now() + budgetMs;
    while (r.refusals.length === 0 && Date.now() < until) {
      const f = await r.untilFinal(400, 400);
      assert.notEqual(f.kind, "credentials", "no credentials leave unaudited");
      assert.equal(f.kind, "hung", `a retryable refusal, not a final one: ${JSON.stringify(f)}`);
    }
    assert.ok(r.refusals.length > 0 && r.refusals.every((x) => x.reason === "CV_ERR_AUDIT_UNAVAILABLE" && x.retryAfterMs > 0), `retryable audit refusals with retry-after: ${JSON.stringify(r.refusals)}`);
  }));
}

/** Every id retried until served: each gets one access key, and no id cost a second AssumeRole. */
async function servedOnce(requesters: readonly RawRequester[], okBefore: number, budgetMs: number): Promise<void> {
  const finals = await Promise.all(requesters.map((r) => r.untilFinal(budgetMs, 1000)));
  const tl = tally(finals, ledger, requesters.map((r) => r.requestId));
  assert.equal(tl.issuedTwice, 0, JSON.stringify(tl));
  assert.ok(finals.every((f) => f.kind === "credentials"), `every id served once the stream is back: ${JSON.stringify(finals)}`);
  assert.equal(await assumeRoleOk() - okBefore, requesters.length, "one AssumeRole per id: the retries replayed the kept credentials");
}

test("audit stream full (max_bytes with discard new): retryable refusals, and the retries after room is made replay the kept credentials", async () => {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(AUDIT_STREAM);
  // What an operator's limit looks like once it is reached: no room for one more event.
  await jsm.streams.update(AUDIT_STREAM, { ...info.config, max_bytes: Math.max(1, info.state.bytes), discard: DiscardPolicy.New });
  const okBefore = await assumeRoleOk();
  const requesters = Array.from({ length: 3 }, () => rawRequester(nc, tenant, "demo-app"));
  await refusedWhileAway(requesters, 2000);
  assert.equal(await assumeRoleOk() - okBefore, requesters.length, "STS was called once per id (the event needs the access key id)");
  await jsm.streams.update(AUDIT_STREAM, { ...info.config, max_bytes: -1 });
  await servedOnce(requesters, okBefore, 5000);
});

test("nats-server restarted without JetStream, then with an empty store: refused meanwhile, then the worker makes the stream again by itself", async (t) => {
  await nats.stop();
  nats = await startNatsServer({ port, jetstream: false });
  const okBefore = await assumeRoleOk();
  const requesters = Array.from({ length: 3 }, () => rawRequester(nc, tenant, "demo-app"));
  // The requester and the worker reconnect by themselves; then every vend is refused (no stream).
  await refusedWhileAway(requesters, 8000);

  await nats.stop();
  nats = await startNatsServer({ port, storeDir: tempDir("credvend-nats-store-") });
  const back = Date.now();
  await servedOnce(requesters, okBefore, 15_000);
  const jsm = await nc.jetstreamManager();
  assert.equal((await jsm.streams.info(AUDIT_STREAM)).config.name, AUDIT_STREAM, "the worker made the stream again");
  // A new id is served as usual.
  assert.equal((await rawRequester(nc, tenant, "demo-app").untilFinal(5000)).kind, "credentials");
  t.diagnostic(`served ${Date.now() - back} ms after JetStream came back`);
});
