// The auditor's generated NATS grant (nats-config --auditor-user) is enough for `credvend audit
// tail`, with and without --follow, and nothing more: against a real nats-server with the
// generated authorization, every other thing it tries is a permissions violation.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { AUDIT_INBOX_PREFIX } from "@credvend/protocol";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { AUDIT_STREAM, CONFIG_KV_BUCKET, CONFIG_KV_KEY, type AuditEvent } from "@credvend/worker";
import { AckPolicy, connect, type NatsConnection } from "nats";
import { startAuthorizedStack, testPassword, type AuthorizedStack } from "./support/authorized-stack.js";
import { credvend, spawnCredvend } from "./support/cli.js";
import { demoConfig } from "./support/config.js";

const tenant = uniqueName("auditor");
const admin = { user: "admin", password: testPassword() };
const auditor = { user: "auditor", password: testPassword() };
let stack: AuthorizedStack;
let adminNc: NatsConnection;
let auditorNc: NatsConnection;

const asAuditor = (): Record<string, string> => ({ NATS_URL: stack.nats.url, NATS_USER: auditor.user, NATS_PASSWORD: auditor.password });

before(async () => {
  // The generated block (auditor included), plus an unrestricted admin who writes the config bucket.
  stack = await startAuthorizedStack({ tenant, configText: demoConfig({ tenants: [tenant] }), admin, extraUsers: { auditor }, hashSecrets: { env: {}, cost: 4 } });
  adminNc = stack.adminNc;
  // Its replies on the prefix its grant allows, as `credvend audit tail` does.
  auditorNc = await connect({ servers: stack.nats.url, user: auditor.user, pass: auditor.password, inboxPrefix: AUDIT_INBOX_PREFIX });
});

after(async () => {
  await auditorNc?.close();
  await stack?.stop();
});

async function vend(): Promise<string> {
  const requestId = uniqueRequestId();
  await stack.client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId });
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
