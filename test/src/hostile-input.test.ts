// A hostile tenant with valid NATS credentials for its own subjects sends what no client SDK
// would: packed maps, unknown-field floods, invalid UTF-8, huge ids and template names, names by
// the thousand. Each is refused with an error naming the field to fix, at a bounded CPU cost, and
// none of its text grows the audit stream, the log or the metrics. Real NATS (JetStream), Redis,
// aws-local; the worker runs in this process (its CPU time is this process's).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { devCredentials, startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { encodeRequest, readReply, REPLY_PREFIX, requestSubject, type CredentialRequestInit } from "@credvend/protocol";
import { metricSum, redisUrl, startNatsServer, uniqueName, uniqueRequestId } from "@credvend/testkit";
import { AUDIT_STREAM, createLogger, runWorker, settingsFromEnv, type AuditEvent, type RunningWorker } from "@credvend/worker";
import { connect, type NatsConnection } from "nats";
import { demoConfig } from "./support/config.js";
import { REGION } from "./support/harness.js";
import { sendRaw, sendRequest } from "./support/raw.js";

const tenant = uniqueName("hostile");
const P = "demo-app";
let nats: Awaited<ReturnType<typeof startNatsServer>>;
let awsLocal: AwsLocal;
let vendor: RunningWorker;
let nc: NatsConnection;
let metricsUrl: string;
const logLines: string[] = [];
const dir = mkdtempSync(path.join(tmpdir(), "credvend-hostile-"));

before(async () => {
  nats = await startNatsServer();
  awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  const file = path.join(dir, "c.yaml");
  writeFileSync(file, demoConfig({ tenants: [tenant] }));
  // Window 0: every refusal is an event of its own, so the scan below sees what each one records
  // (aggregated refusals copy only a first event's bounded fields: audit-flood.test.ts).
  const settings = settingsFromEnv({ NATS_URL: nats.url, REDIS_URL: await redisUrl(), CREDVEND_CONFIG: file, AWS_REGION: REGION, CREDVEND_HTTP_PORT: "0", CREDVEND_LOG_LEVEL: "info", CREDVEND_AUDIT_REFUSAL_WINDOW_MS: "0" });
  const destination = new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } });
  vendor = await runWorker(settings, { logger: createLogger({ level: "info", destination }), awsCredentials: devCredentials("credvend-vendor"), awsEndpoint: awsLocal.endpoint, http: true });
  metricsUrl = `${vendor.httpUrl ?? assert.fail("no http url")}/metrics`;
  nc = await connect({ servers: nats.url });
});
after(async () => {
  await nc?.close();
  await vendor?.stop();
  await awsLocal?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const base = (o: CredentialRequestInit = {}): Uint8Array =>
  encodeRequest({ requestId: uniqueRequestId(), template: "s3-tenant-read", params: { bucket: "acme-data" }, clientTimeMs: Date.now(), ...o });

/** The refusal of a raw payload (answered on its own reply subject), or of a request with these fields (on its request id's). */
async function refused(request: Uint8Array | CredentialRequestInit): Promise<{ reason: string; field: string | undefined }> {
  const view = request instanceof Uint8Array ? await sendRaw(nc, tenant, P, request) : await sendRequest(nc, tenant, P, request);
  assert.equal(view.kind, "error");
  return view.kind === "error" ? { reason: view.error.reason, field: view.error.field } : { reason: "", field: undefined };
}

/** Every audit event of this test's tenant, with its encoded size. */
async function auditEvents(): Promise<{ size: number; event: AuditEvent }[]> {
  const jsm = await nc.jetstreamManager();
  const { state } = await jsm.streams.info(AUDIT_STREAM);
  const out: { size: number; event: AuditEvent }[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq += 1) {
    const m = await jsm.streams.getMessage(AUDIT_STREAM, { seq });
    out.push({ size: m.data.length + (m.header.get("Nats-Msg-Id")?.length ?? 0), event: m.json<AuditEvent>() });
  }
  return out;
}

/** This process's CPU time (µs) to publish `copies` of `payload` and receive every refusal. */
async function cpuToRefuse(payload: Uint8Array, copies: number): Promise<number> {
  const inbox = `${REPLY_PREFIX}.${tenant}.${P}.${uniqueRequestId()}`;
  const sub = nc.subscribe(inbox, { max: copies });
  const done = (async () => { for await (const m of sub) assert.equal(readReply(m.data).kind, "error"); })();
  const t0 = process.cpuUsage();
  for (let i = 0; i < copies; i += 1) nc.publish(requestSubject(tenant, P), payload, { reply: inbox });
  await done;
  const t = process.cpuUsage(t0);
  return t.user + t.system;
}

describe("hostile payloads are refused cheaply, naming the field", () => {
  test("14,000 packed params: CV_ERR_REQUEST_FIELD on params, at about the CPU of a plain payload of its size", async () => {
    const params: Record<string, string> = {};
    for (let i = 0; i < 14_000; i += 1) params[i.toString(36)] = "";
    const packed = base({ params });
    assert.ok(packed.length < 128 * 1024);
    assert.deepEqual(await refused(packed), { reason: "CV_ERR_REQUEST_FIELD", field: "params" });
    // As many bytes in one string field: what NATS and a plain decode of that size cost.
    const plain = base({ requestId: "bad", clientVersion: "x".repeat(packed.length - 80) });
    await cpuToRefuse(plain, 50); // warm up
    const plainUs = await cpuToRefuse(plain, 300);
    const packedUs = await cpuToRefuse(packed, 300);
    // Decoded whole, each packed payload cost ~10 ms, three times over (admission, decode, audit).
    assert.ok(packedUs < plainUs * 2 + 50_000, `300 packed refusals took ${Math.round(packedUs / 1000)} ms of CPU, 300 plain ones of the same size ${Math.round(plainUs / 1000)} ms`);
  });

  test("unknown-field floods, groups and truncations are CV_ERR_REQUEST_DECODE; invalid UTF-8 names its field", async () => {
    const unknown = new Uint8Array(120_000);
    for (let i = 0; i + 3 <= unknown.length; i += 3) unknown.set([0xa0, 0x06, 0x01], i);
    assert.equal((await refused(unknown)).reason, "CV_ERR_REQUEST_DECODE");
    assert.equal((await refused(new Uint8Array(100_000).fill(0x0b))).reason, "CV_ERR_REQUEST_DECODE");
    const badTemplate = Uint8Array.from([...base({ template: "" }), 0x12, 3, 0xed, 0xa0, 0x80]);
    assert.deepEqual(await refused(badTemplate), { reason: "CV_ERR_REQUEST_FIELD", field: "template" });
  });

  test("out-of-range numbers name their field", async () => {
    assert.deepEqual(await refused({ clientTimeMs: -1 }), { reason: "CV_ERR_REQUEST_STALE", field: "client_time_ms" });
    assert.deepEqual(await refused({ clientTimeMs: Number.MAX_SAFE_INTEGER }), { reason: "CV_ERR_REQUEST_STALE", field: "client_time_ms" });
    assert.deepEqual(await refused({ deadlineMs: -5 }), { reason: "CV_ERR_DEADLINE_PASSED", field: "deadline_ms" });
    assert.deepEqual(await refused({ durationSeconds: 0xffff_ffff }), { reason: "CV_ERR_DURATION_INVALID", field: "duration_seconds" });
  });
});

describe("attacker text stays out of the audit stream, the log and the metrics", () => {
  test("a 100,000-character request_id or template is refused and never recorded at length", async () => {
    const long = "a".repeat(100_000);
    assert.deepEqual(await refused(base({ requestId: long })), { reason: "CV_ERR_REQUEST_FIELD", field: "request_id" });
    // Refused (no client_time_ms) before the template is even looked at.
    const requestId = uniqueRequestId();
    assert.equal((await refused({ requestId, template: long, clientTimeMs: 0 })).field, "client_time_ms");
    let events: { size: number; event: AuditEvent }[] = [];
    for (let i = 0; i < 40 && !events.some((e) => e.event.requestId === requestId); i += 1) {
      await new Promise((r) => setTimeout(r, 50));
      events = (await auditEvents()).filter((e) => e.event.tenant === tenant);
    }
    assert.ok(events.some((e) => e.event.requestId === requestId), "the refusal was audited");
    for (const e of events) assert.ok(e.size < 4096, `an audit event of ${e.size} bytes (${e.event.reason})`);
    for (const line of logLines) assert.ok(line.length < 8192, `a log line of ${line.length} characters`);
    assert.ok(!(await (await fetch(metricsUrl)).text()).includes("aaaaaaaaaa"), "/metrics holds the attacker's text");
  });

  test("template names of refused requests do not become metric series", async () => {
    const before = await (await fetch(metricsUrl)).text();
    for (let i = 0; i < 50; i += 1) await sendRequest(nc, tenant, P, { template: `no-such-template-${i}` });
    const text = await (await fetch(metricsUrl)).text();
    assert.ok(!text.includes("no-such-template"), "a refused request's template name became a label");
    const series = (t: string) => t.split("\n").filter((l) => l.startsWith("credvend_requests_total{")).length;
    assert.ok(series(text) <= series(before) + 1, `${series(text) - series(before)} new series`);
    const unnamed = (t: string) => metricSum(t, "credvend_requests_total", { outcome: "refused", template: "" });
    assert.ok(unnamed(text) - unnamed(before) >= 50, "the refusals are still counted, under template=\"\"");
  });
});
