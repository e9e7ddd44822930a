// STS answers broken on the wire (a proxy between the worker and aws-local spoils 200 answers to
// AssumeRole): a body cut off mid-way, a body that is not XML, a 200 with no Credentials. STS may
// have issued a session that nobody can read, so the requester is told to retry (retryable, with
// retry-after), not that its request is wrong; its retry with the same request id is then served,
// and every reply for the id carries one access key.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { redisUrl, startNatsServer, uniqueName, type NatsServerHandle } from "@credvend/testkit";
import { settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { connect, type NatsConnection } from "nats";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { demoConfig } from "./support/config.js";
import { startCorruptingProxy, type CorruptingProxy, type Spoil } from "./support/corrupting-proxy.js";
import { rawRequester, ReplyLedger } from "./support/faults.js";
import { runTestWorker } from "./support/worker.js";
import { REGION } from "./support/harness.js";

const tenant = uniqueName("stswire");
const configDir = mkdtempSync(path.join(tmpdir(), "credvend-test-"));
let nats: NatsServerHandle;
let awsLocal: AwsLocal;
let proxy: CorruptingProxy;
let worker: RunningWorker;
let nc: NatsConnection;
let ledger: ReplyLedger;

before(async () => {
  nats = await startNatsServer();
  awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  proxy = await startCorruptingProxy(awsLocal.endpoint);
  const configFile = path.join(configDir, "credvend.yaml");
  writeFileSync(configFile, demoConfig({ tenants: [tenant] }));
  const settings = settingsFromEnv({ NATS_URL: nats.url, REDIS_URL: await redisUrl(), CREDVEND_CONFIG: configFile, AWS_REGION: REGION, CREDVEND_LOG_LEVEL: "silent" });
  worker = await runTestWorker(settings, proxy.endpoint);
  nc = await connect({ servers: nats.url, name: "test-requester" });
  ledger = new ReplyLedger(nc, tenant, "demo-app");
  await nc.flush();
});
after(async () => {
  ledger?.close();
  await nc?.close();
  await worker?.stop();
  await proxy?.stop();
  await awsLocal?.stop();
  await nats?.stop();
  rmSync(configDir, { recursive: true, force: true });
});

for (const how of ["truncated", "garbage", "no-credentials"] as const satisfies readonly Spoil[]) {
  test(`AssumeRole answered 200 but ${how}: a retryable CV_ERR_AWS_UNAVAILABLE with retry-after, and the retry of the id is served`, async (t) => {
    // Every attempt the SDK makes for the first request (it retries network failures itself).
    proxy.spoil(how, 3);
    const spoiledBefore = proxy.spoiled;
    const r = rawRequester(nc, tenant, "demo-app");
    const final = await r.untilFinal(10_000, 3000);
    const first = r.refusals[0];
    assert.ok(first, `the first answer was a retryable refusal: ${JSON.stringify(final)}`);
    assert.equal(first.reason, "CV_ERR_AWS_UNAVAILABLE", JSON.stringify(r.refusals));
    assert.ok(first.retryAfterMs > 0);
    proxy.spoil(how, 0);
    const served = final.kind === "credentials" ? final : await r.untilFinal(5000);
    assert.equal(served.kind, "credentials", JSON.stringify(served));
    assert.equal(ledger.keysOf(r.requestId).size, 1, "one access key for the id");
    t.diagnostic(`${how}: ${proxy.spoiled - spoiledBefore} spoiled answers, refusals ${JSON.stringify(r.refusals)}`);
  });
}
