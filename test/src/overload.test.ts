// Admission under overload: past the worker's bounds a request is refused at once with
// RESOURCE_EXHAUSTED (CV_ERR_OVERLOADED) and a retry hint, never queued without bound; a principal
// over its own bounds is refused while others still get in; an oversized payload is refused before
// it is queued. The NATS service stats ($SRV.STATS) count these requests with their real
// processing time and errors.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError, encodeRequest, MAX_REQUEST_BYTES, readReply, REPLY_PREFIX, requestSubject } from "@credvend/protocol";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { demoConfig } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";
import { sendRaw } from "./support/raw.js";

const STS_MS = 600;
const outcome = (p: Promise<{ accessKeyId: string }>) =>
  p.then(() => "served", (e: unknown) => (e instanceof CredvendError ? `${e.reason} ${e.retryAfterMs ?? ""}`.trim() : String(e)));

describe("worker bounds", () => {
  const tA = uniqueName("ovl-a");
  const tB = uniqueName("ovl-b");
  let h: Harness;
  before(async () => {
    h = await startHarness({ config: demoConfig({ tenants: [tA, tB] }), env: { CREDVEND_MAX_IN_FLIGHT: "1", CREDVEND_MAX_QUEUED: "1", CREDVEND_OVERLOAD_RETRY_AFTER_MS: "150" } });
    await h.awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": STS_MS } });
  });
  after(async () => {
    await h?.stop();
  });

  test("one running, one queued: the next request is refused at once with CV_ERR_OVERLOADED and a retry hint", async () => {
    const ask = (tenant: string, principal: string) => h.client(tenant, principal, { attempts: 1, timeoutMs: 5000 }).request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
    const first = outcome(ask(tA, "demo-app"));
    const second = outcome(ask(tB, "demo-app"));
    for (let i = 0; i < 200 && h.vendor.worker.stats().queued < 1; i += 1) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    assert.equal(await outcome(ask(tA, "other-app")), "CV_ERR_OVERLOADED 150");
    assert.ok(Date.now() - started < STS_MS, "refused without waiting for a slot");
    // An oversized payload is refused for its size, before any queue: even now.
    const big = await sendRaw(h.nc, tA, "demo-app", new Uint8Array(MAX_REQUEST_BYTES + 1024).fill(0x0a));
    assert.equal(big.kind === "error" && `${big.error.code} ${big.error.reason}`, "INVALID_ARGUMENT CV_ERR_REQUEST_TOO_LARGE");
    assert.deepEqual(await Promise.all([first, second]), ["served", "served"]);
    assert.equal(h.vendor.worker.stats().overloaded, 1);
  });

  test("$SRV.STATS counts every request with its real processing time and its errors", async () => {
    const before = h.vendor.worker.stats();
    assert.ok(before.requests >= 4);
    const msg = await h.nc.request(`$SRV.STATS.credvend-vendor.${h.vendor.worker.id}`, new Uint8Array(), { timeout: 2000 });
    const stats = JSON.parse(new TextDecoder().decode(msg.data)) as { endpoints: { name: string; num_requests: number; num_errors: number; processing_time: number; average_processing_time: number; last_error?: string }[] };
    const vend = stats.endpoints.find((e) => e.name === "vend");
    assert.ok(vend);
    assert.equal(vend.num_requests, before.requests);
    assert.equal(vend.num_errors, before.failed);
    assert.equal(vend.last_error, "INVALID_ARGUMENT CV_ERR_REQUEST_TOO_LARGE");
    // Two of the requests waited for a 600 ms STS call (the second one also queued behind the first).
    assert.ok(vend.processing_time >= 2 * STS_MS * 1e6, `processing_time ${vend.processing_time} ns`);
    assert.ok(vend.average_processing_time >= (2 * STS_MS * 1e6) / vend.num_requests, `average ${vend.average_processing_time} ns`);
  });
});

describe("principal bounds", () => {
  const tenant = uniqueName("ovl-p");
  let h: Harness;
  before(async () => {
    h = await startHarness({ config: demoConfig({ tenants: [tenant] }), env: { CREDVEND_PRINCIPAL_MAX_IN_FLIGHT: "1", CREDVEND_PRINCIPAL_MAX_QUEUED: "1" } });
    await h.awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": STS_MS } });
  });
  after(async () => {
    await h?.stop();
  });

  test("a principal past its own bounds is refused while another principal is served at once", async () => {
    const busy = h.client(tenant, "demo-app", { attempts: 1, timeoutMs: 5000 });
    const ask = () => outcome(busy.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } }));
    const running = ask();
    const queued = ask();
    for (let i = 0; i < 200 && h.vendor.worker.stats().queued < 1; i += 1) await new Promise((r) => setTimeout(r, 5));
    assert.match(await ask(), /^CV_ERR_OVERLOADED \d+$/);
    const started = Date.now();
    assert.equal(await outcome(h.client(tenant, "other-app", { attempts: 1, timeoutMs: 5000 }).request({ template: "s3-tenant-read", params: { bucket: "acme-data" } })), "served");
    assert.ok(Date.now() - started < 2 * STS_MS, "the other principal did not wait behind demo-app's queue");
    assert.deepEqual(await Promise.all([running, queued]), ["served", "served"]);
  });

  test("an overload refusal of a fire-and-forget request still reaches the requester's reply subject", async () => {
    const busy = h.client(tenant, "demo-app", { attempts: 1, timeoutMs: 5000 });
    const pending = [1, 2].map(() => outcome(busy.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } })));
    for (let i = 0; i < 200 && h.vendor.worker.stats().queued < 1; i += 1) await new Promise((r) => setTimeout(r, 5));
    const requestId = uniqueRequestId();
    const sub = h.nc.subscribe(`${REPLY_PREFIX}.${tenant}.demo-app.${requestId}`, { max: 1 });
    h.nc.publish(requestSubject(tenant, "demo-app"), encodeRequest({ template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId, clientTimeMs: Date.now() }));
    const giveUp = setTimeout(() => sub.unsubscribe(), 3000);
    const replies: string[] = [];
    for await (const m of sub) {
      const r = readReply(m.data);
      replies.push(r.kind === "error" ? `${r.requestId} ${r.error.reason}` : "credentials");
    }
    clearTimeout(giveUp);
    assert.deepEqual(replies, [`${requestId} CV_ERR_OVERLOADED`]);
    await Promise.all(pending);
  });
});
