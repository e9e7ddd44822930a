// Fleet-wide single flight for `reuse:` templates, end to end: two workers behind the generated
// NATS authorization, a slow STS, and many identical requests at once cost one AssumeRole for the
// whole fleet. Requesters can not reach the workers' peer subjects; a NATS authorization made
// before those subjects existed costs one call per worker, never a failed or slow request.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { natsAuthorization, parseConfig } from "@credvend/policy";
import { peerSubject } from "@credvend/protocol";
import { uniqueName } from "@credvend/testkit";
import { settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { connect, type NatsConnection } from "nats";
import { demoConfig, s3ReadTemplate } from "./support/config.js";
import { REGION, startHarness, type Harness } from "./support/harness.js";
import { runTestWorker } from "./support/worker.js";
import { testPeerKeyFile } from "./support/peer-key.js";

const STS_MS = 300;
const password = () => randomBytes(18).toString("base64url");

interface Fleet {
  readonly h: Harness;
  readonly second: RunningWorker;
  readonly requesterNc: NatsConnection;
  readonly tenant: string;
  readonly logLines: string[];
}

async function startFleet(adjustAuthorization: (conf: string) => string = (c) => c): Promise<Fleet> {
  const tenant = uniqueName("fleet");
  const reusable = s3ReadTemplate("s3-reusable", "    reuse: { min_remaining_seconds: 300 }\n");
  const yaml = demoConfig({ tenants: [tenant], extraTemplates: reusable }).replace('templates: ["s3-tenant-read"]', 'templates: ["s3-tenant-read", "s3-reusable"]');
  const parsed = parseConfig(yaml);
  assert.ok(parsed.ok, "test config is valid");
  const vendor = { user: "credvend-vendor", password: password() };
  const demo = { user: "demo-app-user", password: password(), tenant, principal: "demo-app" };
  const natsConfig = adjustAuthorization(natsAuthorization(parsed.config, { vendor, identities: [demo] }));
  const logLines: string[] = [];
  const h = await startHarness({ config: yaml, natsConfig, vendorNats: vendor, logLines, env: { CREDVEND_LOG_LEVEL: "warn", CREDVEND_PRINCIPAL_MAX_QUEUED: "1024" } });
  const settings = settingsFromEnv({
    NATS_URL: h.natsUrl, REDIS_URL: h.redisUrl, CREDVEND_CONFIG: h.configFile, AWS_REGION: REGION, CREDVEND_LOG_LEVEL: "silent",
    NATS_USER: vendor.user, NATS_PASSWORD: vendor.password, CREDVEND_PRINCIPAL_MAX_QUEUED: "1024",
    // The fleet's shared peer key, as the harness's worker has it.
    CREDVEND_PEER_KEY_FILE: testPeerKeyFile(),
  });
  const second = await runTestWorker(settings, h.awsLocal.endpoint, { name: "second-worker" });
  const requesterNc = await connect({ servers: h.natsUrl, user: demo.user, pass: demo.password });
  await h.awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": STS_MS } });
  return { h, second, requesterNc, tenant, logLines };
}

async function stopFleet(f: Fleet | undefined): Promise<void> {
  await f?.requesterNc.close();
  await f?.second.stop();
  await f?.h.stop();
}

const assumeRoleCalls = async (f: Fleet) => (await f.h.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;
const generateDataKeyCalls = async (f: Fleet) => (await f.h.awsLocal.admin.calls())["kms:GenerateDataKey"]?.total ?? 0;

async function identicalAtOnce(f: Fleet, n: number, bucket: string) {
  const client = f.h.client(f.tenant, "demo-app", { nc: f.requesterNc, timeoutMs: 10_000 });
  const servedBefore = [f.h.vendor.worker.stats().served, f.second.worker.stats().served] as const;
  const results = await Promise.all(Array.from({ length: n }, () => client.request({ template: "s3-reusable", params: { bucket } })));
  const served = [f.h.vendor.worker.stats().served - servedBefore[0], f.second.worker.stats().served - servedBefore[1]] as const;
  return { results, served };
}

describe("with the generated NATS authorization", () => {
  let f: Fleet;
  before(async () => { f = await startFleet(); });
  after(async () => { await stopFleet(f); });

  test("identical requests spread over two workers cost one AssumeRole and one GenerateDataKey for the fleet", async (t) => {
    const callsBefore = await assumeRoleCalls(f);
    const keysBefore = await generateDataKeyCalls(f);
    const { results, served } = await identicalAtOnce(f, 200, "acme-data");
    assert.ok(served[0] > 0 && served[1] > 0, `both workers served (${served[0]} + ${served[1]})`);
    assert.equal(await assumeRoleCalls(f) - callsBefore, 1, "one AssumeRole");
    assert.equal(new Set(results.map((r) => r.accessKeyId)).size, 1, "one session");
    assert.equal(new Set(results.map((r) => r.requestId)).size, results.length, "each request its own id");
    // Later identical requests are served from each worker's copy.
    await identicalAtOnce(f, 40, "acme-data");
    assert.equal(await assumeRoleCalls(f) - callsBefore, 1);
    // The recipient's data key too: one worker generated it and lent the other a share of it.
    assert.equal(await generateDataKeyCalls(f) - keysBefore, 1, "one GenerateDataKey for one recipient over two workers");
    t.diagnostic(`workers served ${served[0]} + ${served[1]} of 200 with one AssumeRole`);
  });

  test("a requester can not ask a worker for a session or a data key over the peer subject", async () => {
    const workerId = f.h.vendor.worker.id;
    const publicKey = Buffer.alloc(32, 9).toString("base64url");
    for (const ask of [{ v: 1, kind: "session", key: `${f.tenant}:reuse:x`, minRemainingMs: 0, publicKey }, { v: 1, kind: "data-key", key: `alias/credvend-replies\u0000${f.tenant}\u0000demo-app`, publicKey }]) {
      await assert.rejects(f.requesterNc.request(peerSubject(workerId), new TextEncoder().encode(JSON.stringify(ask)), { timeout: 1000 }),
        (error: Error) => /permission|timeout|503/i.test(`${error.message} ${(error as { code?: string }).code ?? ""}`));
    }
    assert.ok(!f.logLines.some((l) => l.includes("fleet-wide sharing of sessions and data keys is off")), "the workers' own peer subjects work");
  });
});

describe("with a NATS authorization made before the peer subjects", () => {
  let f: Fleet;
  before(async () => { f = await startFleet((conf) => conf.replaceAll(', "credvend.v1.peer.*"', "")); });
  after(async () => { await stopFleet(f); });

  test("each worker reuses on its own: at most one AssumeRole per worker, no request slowed or failed, and the log says what to fix", async () => {
    const callsBefore = await assumeRoleCalls(f);
    const keysBefore = await generateDataKeyCalls(f);
    const started = Date.now();
    const { results, served } = await identicalAtOnce(f, 100, "shared-data");
    const elapsedMs = Date.now() - started;
    assert.equal(results.length, 100);
    const calls = await assumeRoleCalls(f) - callsBefore;
    assert.ok(calls >= 1 && calls <= 2, `${calls} AssumeRole for two workers`);
    const keys = await generateDataKeyCalls(f) - keysBefore;
    assert.ok(keys >= 1 && keys <= 2, `${keys} GenerateDataKey for two workers`);
    assert.ok(elapsedMs < 4_000, `served in ${elapsedMs} ms: no ask waited out its timeout`);
    assert.ok(served[0] + served[1] === 100);
    assert.ok(f.logLines.some((l) => l.includes("fleet-wide sharing of sessions and data keys is off") && l.includes("credvend nats-config")), "the vendor log names the fix");
  });
});
