// An idempotency claim must not expire under an owner that is still working: a duplicate waiting
// for it would take over, call STS a second time, and the two requesters of one request id would
// hold different credentials. A crashed owner's claim still expires (guard tests).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readReply, replySubject } from "@credvend/protocol";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { demoConfig } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";

const tenant = uniqueName("lease");
let h: Harness;
const assumeRoleCalls = async () => (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;

before(async () => {
  // No in-memory waiting for duplicates: the duplicate goes through the Redis claim, as it does
  // when it lands on another worker.
  h = await startHarness({ config: demoConfig({ tenants: [tenant] }), env: { CREDVEND_IDEMPOTENCY_LEASE_MS: "1000", CREDVEND_PRINCIPAL_MAX_WAITING: "0" } });
  // STS slower than the lease.
  await h.awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 2500 } });
});
after(async () => {
  await h?.stop();
});

test("a duplicate waiting past the lease of a still-working owner gets the owner's reply, not a second STS call", async () => {
  const before = await assumeRoleCalls();
  const requestId = uniqueRequestId();
  // Every reply published for this request id, whichever requester it answers.
  const keys: string[] = [];
  const spy = h.nc.subscribe(replySubject(tenant, "demo-app", requestId), {
    callback: (_e, m) => { const r = readReply(m.data); keys.push(r.kind === "credentials" ? r.envelope.accessKeyId : r.error.reason); },
  });
  await h.nc.flush();
  const ask = () => h.client(tenant, "demo-app", { attempts: 1, timeoutMs: 10_000 }).request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId });
  const first = ask();
  await new Promise((r) => setTimeout(r, 300));
  const duplicate = ask();
  await Promise.all([first, duplicate]);
  for (let i = 0; i < 500 && h.vendor.worker.stats().inFlight > 0; i += 1) await new Promise((r) => setTimeout(r, 10));
  await h.nc.flush();
  spy.unsubscribe();
  assert.equal(keys.length, 2, "two requests, two replies");
  assert.equal(new Set(keys).size, 1, `one request id, one set of credentials: ${keys.join(", ")}`);
  assert.equal(await assumeRoleCalls(), before + 1);
  assert.equal(h.vendor.worker.stats().coalesced, 0, "the duplicate waited on the Redis claim, not in memory");
});
