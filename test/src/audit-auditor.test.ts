// The auditor's generated NATS grant (nats-config --auditor-user) is enough for `credvend audit
// tail`, with and without --follow, and nothing more: against a real nats-server with the
// generated authorization, every other thing it tries is a permissions violation.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { KMSClient } from "@aws-sdk/client-kms";
import { devCredentials, startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { CredvendClient } from "@credvend/client";
import { natsAuthorization, parseConfig } from "@credvend/policy";
import { AUDIT_INBOX_PREFIX } from "@credvend/protocol";
import { redisUrl, startNatsServer, uniqueName, uniqueRequestId, type NatsServerHandle } from "@credvend/testkit";
import { AUDIT_STREAM, CONFIG_KV_BUCKET, CONFIG_KV_KEY, createLogger, openConfigBucket, runWorker, settingsFromEnv, type AuditEvent, type RunningWorker } from "@credvend/worker";
import { AckPolicy, connect, type NatsConnection } from "nats";
import { credvend, spawnCredvend } from "./support/cli.js";
import { demoConfig } from "./support/config.js";
import { REGION, REPLY_KEY_ARN } from "./support/harness.js";

const tenant = uniqueName("auditor");
const configText = demoConfig({ tenants: [tenant] });
const pw = () => randomBytes(12).toString("base64url");
const admin = { user: "admin", password: pw() };
const vendorUser = { user: "credvend-vendor", password: pw() };
const auditor = { user: "auditor", password: pw() };
const demo = { tenant, principal: "demo-app", user: "demo-app", password: pw() };
let nats: NatsServerHandle;
let awsLocal: AwsLocal;
let adminNc: NatsConnection;
let auditorNc: NatsConnection;
let demoNc: NatsConnection;
let vendor: RunningWorker;
let kms: KMSClient;
let client: CredvendClient;

const asAuditor = (): Record<string, string> => ({ NATS_URL: nats.url, NATS_USER: auditor.user, NATS_PASSWORD: auditor.password });

before(async () => {
  const parsed = parseConfig(configText);
  assert.ok(parsed.ok);
  // The generated block (auditor included), plus an unrestricted admin who writes the config bucket.
  const block = natsAuthorization(parsed.config, { vendor: vendorUser, auditor, identities: [demo], hashSecrets: { env: {}, cost: 4 } })
    .replace("users = [", `users = [\n    { user: "${admin.user}", password: "${admin.password}" },`);
  nats = await startNatsServer({ config: block });
  awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  adminNc = await connect({ servers: nats.url, user: admin.user, pass: admin.password });
  await (await openConfigBucket(adminNc, CONFIG_KV_BUCKET, { create: true })).put(CONFIG_KV_KEY, configText);
  const settings = settingsFromEnv({
    NATS_URL: nats.url, NATS_USER: vendorUser.user, NATS_PASSWORD: vendorUser.password, REDIS_URL: await redisUrl(),
    CREDVEND_CONFIG_KV_BUCKET: CONFIG_KV_BUCKET, AWS_REGION: REGION, CREDVEND_LOG_LEVEL: process.env.CREDVEND_TEST_LOG_LEVEL ?? "silent",
  });
  vendor = await runWorker(settings, { logger: createLogger({ level: settings.logLevel, destination: process.stderr }), awsCredentials: devCredentials("credvend-vendor"), awsEndpoint: awsLocal.endpoint });
  kms = new KMSClient({ region: REGION, endpoint: awsLocal.endpoint, credentials: devCredentials("demo-app") });
  demoNc = await connect({ servers: nats.url, user: demo.user, pass: demo.password });
  client = new CredvendClient({ nc: demoNc, tenant, principal: "demo-app", kms, replyKeyArn: REPLY_KEY_ARN });
  // Its replies on the prefix its grant allows, as `credvend audit tail` does.
  auditorNc = await connect({ servers: nats.url, user: auditor.user, pass: auditor.password, inboxPrefix: AUDIT_INBOX_PREFIX });
});

after(async () => {
  await vendor?.stop();
  kms?.destroy();
  await auditorNc?.close();
  await demoNc?.close();
  await adminNc?.close();
  await awsLocal?.stop();
  await nats?.stop();
});

async function vend(): Promise<string> {
  const requestId = uniqueRequestId();
  await client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId });
  return requestId;
}

test("on its generated grant an auditor runs credvend audit tail, and --follow prints new events", async () => {
  const first = await vend();
  const once = await credvend(["audit", "tail", "--tenant", tenant, "--output", "json"], asAuditor());
  assert.equal(once.code, 0, once.stderr);
  const events = once.stdout.trim().split("\n").map((l) => JSON.parse(l) as AuditEvent);
  assert.ok(events.some((e) => e.requestId === first && e.outcome === "issued"), once.stdout);

  const follow = spawnCredvend(["audit", "tail", "--follow", "--output", "json"], asAuditor());
  try {
    await follow.waitFor(new RegExp(first), 15_000);
    const second = await vend();
    await follow.waitFor(new RegExp(second), 15_000);
    assert.doesNotMatch(follow.output(), /Permissions Violation/i);
    follow.child.kill("SIGINT");
    assert.equal(await follow.exited, 0, follow.output());
  } finally {
    follow.kill();
  }
});

/** Runs `attempt` and waits for nats-server's permissions violation on a subject matching `subject`. */
async function refused(subject: RegExp, attempt: (nc: NatsConnection) => Promise<unknown>): Promise<void> {
  const seen = (async () => {
    for await (const s of auditorNc.status()) {
      const context = (s as { permissionContext?: { subject?: string } }).permissionContext;
      if (s.type === "error" && s.data === "PERMISSIONS_VIOLATION" && subject.test(context?.subject ?? "")) return true;
    }
    return false;
  })();
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), 3000).unref());
  await attempt(auditorNc).catch(() => undefined);
  assert.ok(await Promise.race([seen, timeout]), `no permissions violation for ${subject}`);
}

test("the auditor may not publish audit events or requests, purge, delete or update the stream, list streams, read the config KV, or use others' inboxes", async () => {
  const bytes = new TextEncoder().encode("{}");
  const jsm = await auditorNc.jetstreamManager({ timeout: 1000, checkAPI: false });
  const before = (await (await adminNc.jetstreamManager()).streams.info(AUDIT_STREAM)).state.messages;
  await refused(/^credvend\.v1\.audit\./, (nc) => nc.jetstream({ timeout: 1000 }).publish(`credvend.v1.audit.${tenant}.demo-app`, bytes));
  await refused(/^credvend\.v1\.req\./, async (nc) => nc.publish(`credvend.v1.req.${tenant}.demo-app`, bytes));
  await refused(/^\$JS\.API\.STREAM\.PURGE\.CREDVEND_AUDIT$/, () => jsm.streams.purge(AUDIT_STREAM));
  await refused(/^\$JS\.API\.STREAM\.DELETE\.CREDVEND_AUDIT$/, () => jsm.streams.delete(AUDIT_STREAM));
  await refused(/^\$JS\.API\.STREAM\.UPDATE\.CREDVEND_AUDIT$/, () => jsm.streams.update(AUDIT_STREAM, { max_msgs: 1 }));
  await refused(/^\$JS\.API\.STREAM\.NAMES$/, () => jsm.streams.names().next());
  // A durable consumer would outlive the auditor's session: only ephemeral ones are allowed.
  await refused(/^\$JS\.API\.CONSUMER\.CREATE\.CREDVEND_AUDIT\.sneaky/, () => jsm.consumers.add(AUDIT_STREAM, { durable_name: "sneaky", ack_policy: AckPolicy.Explicit }));
  await refused(/KV_credvend-config|\$KV\.credvend-config/, () => jsm.streams.getMessage(`KV_${CONFIG_KV_BUCKET}`, { last_by_subj: `$KV.${CONFIG_KV_BUCKET}.${CONFIG_KV_KEY}` }));
  await refused(/KV_credvend-config|\$KV\.credvend-config/, async (nc) => (await nc.jetstream({ timeout: 1000, checkAPI: false }).views.kv(CONFIG_KV_BUCKET, { bindOnly: true })).get(CONFIG_KV_KEY));
  await refused(/^_INBOX\.>$/, async (nc) => nc.subscribe("_INBOX.>"));
  await refused(/^\$KV\.credvend-config\.>$/, async (nc) => nc.subscribe(`$KV.${CONFIG_KV_BUCKET}.>`));
  const info = await (await adminNc.jetstreamManager()).streams.info(AUDIT_STREAM);
  assert.equal(info.state.messages, before, "the audit stream is untouched");
  assert.equal(info.config.max_msgs, -1);
});
