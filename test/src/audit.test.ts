// The audit stream: every decision (issued, replayed, denied, refused by admission) is one JSON
// event on credvend.v1.audit.<tenant>.<principal> in the JetStream stream the worker creates, with
// the fields an auditor needs and no secret; in the default "required" mode, credentials are
// handed out only once the stream stored their event. Real NATS (JetStream), Redis, aws-local.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { AUDIT_STREAM, ensureAuditStream, type AuditEvent } from "@credvend/worker";
import { credvend } from "./support/cli.js";
import { demoConfig } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";
import { sendRequest } from "./support/raw.js";
import { refusal } from "./support/outcome.js";

const ROLE = "arn:aws:iam::000000000000:role/credvend-demo";
const STS_MS = 400;

interface Stored {
  readonly subject: string;
  readonly msgId: string | undefined;
  readonly data: Uint8Array;
  readonly event: AuditEvent;
}

/** Every event in the stream, with its raw bytes, read message by message. */
async function storedEvents(h: Harness): Promise<Stored[]> {
  const jsm = await h.nc.jetstreamManager();
  const { state } = await jsm.streams.info(AUDIT_STREAM);
  const out: Stored[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq += 1) {
    const m = await jsm.streams.getMessage(AUDIT_STREAM, { seq });
    out.push({ subject: m.subject, msgId: m.header.get("Nats-Msg-Id") || undefined, data: m.data, event: m.json<AuditEvent>() });
  }
  return out;
}

/** Refusals are published without holding their reply: wait until `count` events name the request id. */
async function eventsOf(h: Harness, requestId: string, count = 1): Promise<AuditEvent[]> {
  for (let i = 0; ; i += 1) {
    const found = (await storedEvents(h)).map((s) => s.event).filter((e) => e.requestId === requestId);
    if (found.length >= count || i >= 40) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function assertNoSecrets(stored: readonly Stored[], secrets: readonly string[]): void {
  const text = stored.map((s) => new TextDecoder().decode(s.data)).join("\n");
  for (const secret of secrets) assert.ok(!text.includes(secret), `an audit event holds a secret (${secret.length} chars)`);
  for (const s of stored) assert.doesNotMatch(Object.keys(s.event).join(","), /secret|token|assertion|mfa|dataKey|ciphertext/i);
}

describe("audit stream", () => {
  const tA = uniqueName("aud-a");
  const tB = uniqueName("aud-b");
  let h: Harness;
  /** Every secret the tests were handed, for the scan at the end. */
  const secrets: string[] = [];
  const assumeRoleCalls = async () => (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;

  before(async () => {
    // One request in flight and none queued, so an overload refusal is easy to cause.
    h = await startHarness({ config: demoConfig({ tenants: [tA, tB] }), env: { CREDVEND_MAX_IN_FLIGHT: "1", CREDVEND_MAX_QUEUED: "0" } });
  });
  after(async () => {
    await h?.stop();
  });

  test("the worker created the stream: file storage, every audit subject, a de-duplication window", async () => {
    const info = await (await h.nc.jetstreamManager()).streams.info(AUDIT_STREAM);
    assert.equal(info.config.storage, "file");
    assert.deepEqual(info.config.subjects, ["credvend.v1.audit.>"]);
    assert.equal(info.config.duplicate_window, 120_000 * 1e6);
  });

  test("an issued vend and its replay: one event each, with role, session, access key id and expiry", async () => {
    const requestId = uniqueRequestId();
    const client = h.client(tA, "demo-app");
    const creds = await client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId });
    secrets.push(creds.secretAccessKey, creds.sessionToken);
    const [issued, ...more] = await eventsOf(h, requestId);
    assert.equal(more.length, 0);
    assert.ok(issued);
    assert.equal(issued.outcome, "issued");
    assert.equal(issued.tenant, tA);
    assert.equal(issued.principal, "demo-app");
    assert.equal(issued.template, "s3-tenant-read");
    assert.deepEqual(issued.params, { bucket: "acme-data" });
    assert.equal(issued.role, ROLE);
    assert.equal(issued.assumedRoleArn, creds.arn);
    assert.equal(issued.sessionName, creds.arn.split("/").at(-1));
    assert.equal(issued.accessKeyId, creds.accessKeyId);
    assert.equal(issued.expiresAt, creds.expiration.toISOString());
    assert.equal(issued.workerId, h.vendor.worker.id);
    assert.equal(issued.code, undefined);
    assert.ok(issued.latencyMs >= 0 && issued.latencyMs < 5000, `latency ${issued.latencyMs}`);

    const again = await client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId });
    assert.equal(again.accessKeyId, creds.accessKeyId);
    const both = await eventsOf(h, requestId, 2);
    assert.deepEqual(both.map((e) => e.outcome), ["issued", "replayed"]);
    const replayed = both[1];
    assert.ok(replayed);
    assert.notEqual(replayed.id, issued.id, "a replay is its own decision");
    assert.equal(replayed.accessKeyId, creds.accessKeyId);
    assert.equal(replayed.sessionName, issued.sessionName);
  });

  test("a denied vend: one event with the reason, the template's role and the parameters sent", async () => {
    const requestId = uniqueRequestId();
    const denied = await refusal(h.client(tA, "other-app", { attempts: 1 }).request({ template: "s3-tenant-read", params: { bucket: "not-allowed-bucket" }, requestId }));
    assert.equal(denied.reason, "CV_ERR_PARAM_NOT_ALLOWED");
    const events = await eventsOf(h, requestId);
    assert.equal(events.length, 1);
    const [e] = events;
    assert.ok(e);
    assert.equal(e.outcome, "denied");
    assert.equal(e.code, "PERMISSION_DENIED");
    assert.equal(e.reason, "CV_ERR_PARAM_NOT_ALLOWED");
    assert.equal(e.retryable, false);
    assert.equal(e.principal, "other-app");
    assert.equal(e.role, ROLE);
    assert.deepEqual(e.params, { bucket: "not-allowed-bucket" });
    assert.equal(e.accessKeyId, undefined);
  });

  test("an overload refusal (admission, before any stage): one event naming the request", async () => {
    await h.awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": STS_MS } });
    try {
      const running = h.client(tB, "demo-app").request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
      for (let i = 0; i < 200 && h.vendor.worker.stats().inFlight < 1; i += 1) await new Promise((r) => setTimeout(r, 5));
      const requestId = uniqueRequestId();
      const reply = await sendRequest(h.nc, tA, "demo-app", { requestId });
      assert.equal(reply.kind === "error" && reply.error.reason, "CV_ERR_OVERLOADED");
      const creds = await running;
      secrets.push(creds.secretAccessKey, creds.sessionToken);
      const events = await eventsOf(h, requestId);
      assert.equal(events.length, 1);
      const [e] = events;
      assert.ok(e);
      assert.equal(e.outcome, "refused");
      assert.equal(e.reason, "CV_ERR_OVERLOADED");
      assert.equal(e.retryable, true);
      assert.equal(e.tenant, tA);
      assert.equal(e.principal, "demo-app");
    } finally {
      await h.awsLocal.admin.setFaults({});
    }
  });

  test("the stream de-duplicates a republished event (same message id), and keeps distinct decisions apart", async () => {
    const stored = await storedEvents(h);
    const issued = stored.find((s) => s.event.outcome === "issued");
    assert.ok(issued?.msgId, "events carry a Nats-Msg-Id");
    assert.equal(new Set(stored.map((s) => s.msgId)).size, stored.length, "every decision has its own message id");
    const jsm = await h.nc.jetstreamManager();
    const count = (await jsm.streams.info(AUDIT_STREAM)).state.messages;
    const ack = await h.nc.jetstream().publish(issued.subject, issued.data, { msgID: issued.msgId });
    assert.equal(ack.duplicate, true);
    assert.equal((await jsm.streams.info(AUDIT_STREAM)).state.messages, count);
  });

  test("bearer inputs sent with a request (MFA code, web identity token, SAML assertion) are not in its event", async () => {
    const requestId = uniqueRequestId();
    const token = `eyJ${uniqueName("webidentity")}marker`;
    const assertion = `PHNhbWxw${uniqueName("assertion")}marker`;
    const mfaCode = "908189";
    secrets.push(token, assertion, mfaCode);
    await sendRequest(h.nc, tA, "demo-app", {
      requestId, params: { bucket: "acme-data" },
      mfa: { serialNumber: "arn:aws:iam::000000000000:mfa/demo", tokenCode: mfaCode },
      federation: { webIdentityToken: token, samlAssertion: assertion },
    });
    assert.equal((await eventsOf(h, requestId)).length, 1);
  });

  test("credvend audit tail --tenant (the real CLI) prints only that tenant's events", async () => {
    const all = (await storedEvents(h)).map((s) => s.event);
    assert.ok(all.some((e) => e.tenant === tB), "the stream also holds another tenant's events");
    const mine = all.filter((e) => e.tenant === tA);
    const json = await credvend(["audit", "tail", "--tenant", tA, "--output", "json"], { NATS_URL: h.natsUrl });
    assert.equal(json.code, 0, json.stderr);
    const printed = json.stdout.trim().split("\n").map((l) => JSON.parse(l) as AuditEvent);
    assert.deepEqual(printed.map((e) => e.id), mine.map((e) => e.id));
    const table = await credvend(["audit", "tail", "--tenant", tB, "--principal", "demo-app", "--since", "10m"], { NATS_URL: h.natsUrl });
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split("\n");
    assert.equal(lines.length, all.filter((e) => e.tenant === tB && e.principal === "demo-app").length);
    for (const line of lines) assert.match(line, new RegExp(`  issued +  ${tB}/demo-app  s3-tenant-read  `));
    const future = await credvend(["audit", "tail", "--since", new Date(Date.now() + 3_600_000).toISOString()], { NATS_URL: h.natsUrl });
    assert.equal(future.code, 0, future.stderr);
    assert.equal(future.stdout, "");
    const bad = await credvend(["audit", "tail", "--since", "yesterday"], { NATS_URL: h.natsUrl });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since "yesterday" must be a duration/);
  });

  test("no audit event's bytes hold any secret handed out or sent", async () => {
    const stored = await storedEvents(h);
    // issued, replayed, denied, refused, the other tenant's issue, the one with bearer inputs
    assert.ok(stored.length >= 6, `${stored.length} events`);
    assert.ok(secrets.length >= 7);
    assertNoSecrets(stored, secrets);
  });

  test("fail closed: with the stream gone, a vend is refused as retryable and no credentials leave; the retry after it is back is a replay", async () => {
    const jsm = await h.nc.jetstreamManager();
    await jsm.streams.delete(AUDIT_STREAM);
    const requestId = uniqueRequestId();
    const callsBefore = await assumeRoleCalls();
    // The raw reply: exactly what left the worker for this request.
    const reply = await sendRequest(h.nc, tA, "demo-app", { requestId, params: { bucket: "acme-data" } });
    assert.equal(reply.kind, "error");
    assert.ok(reply.kind === "error");
    assert.equal(reply.error.code, "UNAVAILABLE");
    assert.equal(reply.error.reason, "CV_ERR_AUDIT_UNAVAILABLE");
    assert.equal(reply.error.retryable, true);
    // Chosen behaviour: STS was called (the event needs the access key id) and the sealed
    // credentials stay in the idempotency record, so the retry costs no second AssumeRole.
    assert.equal(await assumeRoleCalls(), callsBefore + 1);

    // The failed write made the worker create the stream again (stream-keeper.ts); creating it
    // here as well would race with that, so wait for it (ensureAuditStream: created if still missing).
    for (let i = 0; i < 40 && (await jsm.streams.info(AUDIT_STREAM).then(() => false, () => true)); i += 1) await new Promise((r) => setTimeout(r, 50));
    await ensureAuditStream(jsm, { maxAgeHours: 1, duplicateWindowMs: 120_000 });
    const creds = await h.client(tA, "demo-app").request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId });
    secrets.push(creds.secretAccessKey, creds.sessionToken);
    assert.equal(await assumeRoleCalls(), callsBefore + 1, "the retry was served from the record");
    const events = await eventsOf(h, requestId);
    assert.deepEqual(events.map((e) => [e.outcome, e.accessKeyId]), [["replayed", creds.accessKeyId]]);
    assertNoSecrets(await storedEvents(h), secrets);
  });
});
