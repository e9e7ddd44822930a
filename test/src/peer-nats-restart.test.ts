// Signed peer asks and answers across a nats-server restart (same port, JetStream store kept).
// nats.js re-subscribes on reconnect, but everything else the peer link relies on (the worker ids
// named in Redis, the muxed request inbox, the replay window of asks seen, the clocks) lives on in
// the workers. So after the restart the second worker still leases the data key the first holds
// (no GenerateDataKey), reused sessions are still shared (one AssumeRole for the fleet), and a
// signed ask or answer recorded before the restart is refused when replayed or altered.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { KMSClient } from "@aws-sdk/client-kms";
import { devCredentials, startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { CredvendClient } from "@credvend/client";
import { PEER_PREFIX, peerSubject } from "@credvend/protocol";
import { freePort, redisUrl, startNatsServer, uniqueName, type NatsServerHandle } from "@credvend/testkit";
import { settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { connect, type Msg, type NatsConnection } from "nats";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { demoConfig, s3ReadTemplate } from "./support/config.js";
import { REGION, REPLY_KEY_ARN } from "./support/harness.js";
import { testPeerKeyFile } from "./support/peer-key.js";
import { until } from "./support/until.js";
import { runTestWorker } from "./support/worker.js";

const tenant = uniqueName("peerrs");
const dir = mkdtempSync(path.join(tmpdir(), "credvend-peer-restart-"));
const storeDir = path.join(dir, "jetstream");
const configFile = path.join(dir, "credvend.yaml");
let port: number;
let nats: NatsServerHandle;
let awsLocal: AwsLocal;
let first: RunningWorker;
let second: RunningWorker | undefined;
let nc: NatsConnection;
const kmsClients: KMSClient[] = [];

/** A peer message as the test saw it on the wire. */
interface Recorded { readonly subject: string; readonly data: Uint8Array }
const asks: Recorded[] = [];
const answers: Recorded[] = [];
let spying = true;

const json = (bytes: Uint8Array): Record<string, unknown> => JSON.parse(Buffer.from(bytes).toString("utf8")) as Record<string, unknown>;
/** An answer the owner signed (peer-auth.ts) carries a MAC; its refusal of an ask is a bare unsigned "none". */
function isSigned(bytes: Uint8Array): boolean {
  try {
    return typeof json(bytes).mac === "string";
  } catch {
    return false;
  }
}
const calls = async (op: string) => (await awsLocal.admin.calls())[op]?.total ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function client(principal: string): CredvendClient {
  const kms = new KMSClient({ region: REGION, endpoint: awsLocal.endpoint, credentials: devCredentials(principal) });
  kmsClients.push(kms);
  return new CredvendClient({ nc, tenant, principal, kms, replyKeyArn: REPLY_KEY_ARN, timeoutMs: 10_000 });
}

async function startWorker(name: string): Promise<RunningWorker> {
  const settings = settingsFromEnv({
    NATS_URL: nats.url, REDIS_URL: await redisUrl(), CREDVEND_CONFIG: configFile, AWS_REGION: REGION, CREDVEND_LOG_LEVEL: "silent",
    CREDVEND_PEER_KEY_FILE: testPeerKeyFile(), CREDVEND_PRINCIPAL_MAX_QUEUED: "1024",
  });
  return runTestWorker(settings, awsLocal.endpoint, { name });
}

/** `n` requests at once; what each worker served of them. */
async function atOnce(principal: string, template: string, n: number) {
  const c = client(principal);
  const workers = [first, second].filter((w): w is RunningWorker => w !== undefined);
  const before = workers.map((w) => w.worker.stats().served);
  const results = await Promise.all(Array.from({ length: n }, () => c.request({ template, params: { bucket: "acme-data" } })));
  return { results, served: workers.map((w, i) => w.worker.stats().served - (before[i] ?? 0)) };
}

before(async () => {
  const reusable = s3ReadTemplate("s3-reusable", "    reuse: { min_remaining_seconds: 300 }\n");
  writeFileSync(configFile, demoConfig({ tenants: [tenant], extraTemplates: reusable }).replace('templates: ["s3-tenant-read"]', 'templates: ["s3-tenant-read", "s3-reusable"]'));
  port = await freePort();
  nats = await startNatsServer({ port, storeDir });
  awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  nc = await connect({ servers: nats.url, name: "test-requester", maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  // The test server has no authorization: the test reads the peer subjects and inboxes as any
  // holder of the vendor's NATS user could.
  const record = (into: Recorded[]) => (_e: unknown, m: Msg) => { if (spying) into.push({ subject: m.subject, data: m.data }); };
  nc.subscribe(`${PEER_PREFIX}.*`, { callback: record(asks) });
  nc.subscribe("_INBOX.>", { callback: record(answers) });
  first = await startWorker("first-worker");
});

after(async () => {
  for (const k of kmsClients) k.destroy();
  await nc?.close();
  await second?.stop();
  await first?.stop();
  await awsLocal?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("after nats-server restarts, a worker still leases the other's data key and shares its sessions; replayed or altered peer messages stay refused", async (t) => {
  // other-app's data key is generated by the first worker alone, before the second exists.
  await client("other-app").request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
  assert.equal(await calls("kms:GenerateDataKey"), 1);
  second = await startWorker("second-worker");
  await awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 300 } });
  // Peer traffic before the restart: demo-app's session and data key are shared.
  const warm = await atOnce("demo-app", "s3-reusable", 60);
  assert.ok(warm.served.every((s) => s > 0), `both workers served before the restart: ${warm.served.join(" + ")}`);
  assert.equal(await calls("sts:AssumeRole"), 2, "other-app's call, then one shared session");
  await nc.flush();
  spying = false;
  const oldAsks = [...asks];
  const oldAnswers = answers.filter((a) => isSigned(a.data));
  assert.ok(oldAsks.length > 0 && oldAnswers.length > 0, `recorded ${oldAsks.length} asks, ${oldAnswers.length} signed answers before the restart`);

  await nats.stop();
  await sleep(500);
  nats = await startNatsServer({ port, storeDir });
  const workerIds = [first.worker.id, second.worker.id];
  await until("both workers back on NATS", async () => {
    const pings = await Promise.all(workerIds.map((id) => nc.request(`$SRV.PING.credvend-vendor.${id}`, undefined, { timeout: 500 }).then(() => true, () => false)));
    return pings.every(Boolean);
  }, 15_000, 100);
  // Each worker forgets reused sessions on reconnect (a revocation may have been missed): let both see it.
  await sleep(300);

  // The second worker leases other-app's key from the first: no GenerateDataKey for the fleet.
  const keysBefore = await calls("kms:GenerateDataKey");
  spying = true;
  const lease = await atOnce("other-app", "s3-tenant-read", 40);
  assert.ok(lease.served.every((s) => s > 0), `both workers served other-app after the restart: ${lease.served.join(" + ")}`);
  assert.equal(await calls("kms:GenerateDataKey") - keysBefore, 0, "other-app's key was leased, not generated again");

  // Reused sessions are shared again: forgotten at the reconnect, issued once for the fleet. The
  // first request goes alone: the pre-restart owner's claim is still in Redis but its session is
  // forgotten, so a first miss on each worker at the same instant could race (one takes the claim
  // over while the other, still the owner, loads too); once one has issued it, the rest share it.
  const rolesBefore = await calls("sts:AssumeRole");
  const alone = await client("demo-app").request({ template: "s3-reusable", params: { bucket: "acme-data" } });
  const reuse = await atOnce("demo-app", "s3-reusable", 60);
  assert.ok(reuse.served.every((s) => s > 0), `both workers served demo-app after the restart: ${reuse.served.join(" + ")}`);
  assert.equal(await calls("sts:AssumeRole") - rolesBefore, 1, "one AssumeRole for the fleet after the restart");
  assert.equal(new Set([alone, ...reuse.results].map((r) => r.accessKeyId)).size, 1, "one session");
  await nc.flush();
  spying = false;
  assert.ok(answers.slice(oldAnswers.length).some((a) => isSigned(a.data)), "owners answered signed asks after the restart");

  // An ask recorded before the restart, replayed to its owner (within the ask age window), or
  // altered under its MAC, gets the unsigned refusal, never a signed answer.
  for (const ask of oldAsks) {
    // To its owner and to every other worker: an ask is for the worker it was sent to.
    for (const id of workerIds) {
      const replayed = await nc.request(peerSubject(id), ask.data, { timeout: 2000 });
      assert.ok(!isSigned(replayed.data), `ask to ${ask.subject} replayed to ${id === first.worker.id ? "the first" : "the second"} worker answered: ${replayed.string()}`);
    }
    const o = json(ask.data);
    const altered = { ...o, at: Date.now(), p: Buffer.from(JSON.stringify({ v: 1, kind: "data-key", key: "x", publicKey: Buffer.alloc(32, 7).toString("base64url") })).toString("base64url") };
    const forged = await nc.request(ask.subject, new TextEncoder().encode(JSON.stringify(altered)), { timeout: 2000 });
    assert.ok(!isSigned(forged.data), `altered ask answered: ${forged.string()}`);
  }

  // An answer recorded before the restart, sent first to every new ask, is refused by the asker
  // (it is signed for another ask): each worker then works on its own, and no requester gets the
  // old session.
  const oldSessions = new Set(warm.results.map((r) => r.accessKeyId));
  const replayAnswers = nc.subscribe(`${PEER_PREFIX}.*`, { callback: (_e, m) => { if (m.reply) nc.publish(m.reply, oldAnswers[0]?.data ?? new Uint8Array()); } });
  await nc.flush();
  const c = client("demo-app");
  const shared = await Promise.all(Array.from({ length: 40 }, () => c.request({ template: "s3-reusable", params: { bucket: "shared-data" } })));
  replayAnswers.unsubscribe();
  assert.ok(shared.every((r) => !oldSessions.has(r.accessKeyId)), "no requester got a session from a replayed answer");
  t.diagnostic(`before: ${warm.served.join("+")} served, ${oldAsks.length} asks recorded; after: lease ${lease.served.join("+")}, reuse ${reuse.served.join("+")}, GenerateDataKey ${await calls("kms:GenerateDataKey")}, AssumeRole ${await calls("sts:AssumeRole")}`);
});
