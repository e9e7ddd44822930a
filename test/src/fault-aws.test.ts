// AWS faults: a broken reply key or a failing KMS costs no AssumeRole (the data key comes before
// STS); STS slower than the deadline keeps the credentials it issues for the retry; STS
// throttling is retried by the SDK, then answered retryable with a retry-after the client honours.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { demoConfig } from "./support/config.js";
import { rawRequester, ReplyLedger } from "./support/faults.js";
import { startHarness, type Harness } from "./support/harness.js";

const stacks: Harness[] = [];
after(async () => {
  for (const h of stacks) await h.stop().catch(() => undefined);
});

async function stack(env: Readonly<Record<string, string>> = {}): Promise<{ h: Harness; tenant: string }> {
  const tenant = uniqueName("awsfault");
  const h = await startHarness({ config: demoConfig({ tenants: [tenant] }), env });
  stacks.push(h);
  return { h, tenant };
}
const calls = async (h: Harness, op: string) => (await h.awsLocal.admin.calls())[op] ?? { total: 0, ok: 0, failed: 0, errors: {} };
const ask = (h: Harness, tenant: string, o: { requestId?: string; attempts?: number; timeoutMs?: number } = {}) =>
  h.client(tenant, "demo-app", { attempts: o.attempts ?? 1, timeoutMs: o.timeoutMs ?? 3000 })
    .request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, ...(o.requestId ? { requestId: o.requestId } : {}) });
const reasonOf = (e: unknown) => (e instanceof CredvendError ? e.reason : String(e));

test("a reply key that does not exist: the worker reports it at start, and requests are refused without an AssumeRole", async () => {
  const { h, tenant } = await stack({ CREDVEND_REPLY_KEY_ID: "alias/no-such-reply-key" });
  const readiness = h.vendor.replyKey();
  assert.equal(readiness.state, "unusable");
  assert.equal(readiness.state === "unusable" && readiness.reason, "CV_ERR_KMS_KEY_NOT_FOUND");
  for (let i = 0; i < 5; i += 1) await assert.rejects(ask(h, tenant), (e) => reasonOf(e) === "CV_ERR_KMS_KEY_NOT_FOUND");
  assert.equal((await calls(h, "sts:AssumeRole")).total, 0, "no AssumeRole for a key that cannot seal the reply");
});

test("KMS failing: an UNAVAILABLE refusal, no AssumeRole; once KMS is back the same request id is served with one", async () => {
  // No cached data keys: every request needs KMS.
  const { h, tenant } = await stack({ CREDVEND_DATA_KEY_CACHE_SECONDS: "0" });
  assert.equal(h.vendor.replyKey().state, "ready");
  await h.awsLocal.admin.setFaults({ errors: [{ operation: "kms:GenerateDataKey", code: "KMSInternalException", status: 500, count: 1000 }] });
  const requestId = uniqueRequestId();
  for (let i = 0; i < 3; i += 1) {
    await assert.rejects(ask(h, tenant, { requestId }), (e) => e instanceof CredvendError && e.code === "UNAVAILABLE" && e.retryable);
  }
  assert.equal((await calls(h, "sts:AssumeRole")).total, 0);
  await h.awsLocal.admin.setFaults({});
  assert.match((await ask(h, tenant, { requestId })).accessKeyId, /^ASIA/);
  assert.equal((await calls(h, "sts:AssumeRole")).total, 1);
});

test("STS slower than the deadline: the credentials it issues late are kept (sealed) for the retry; no second AssumeRole, no late credentials reply", async () => {
  const { h, tenant } = await stack();
  const ledger = new ReplyLedger(h.nc, tenant, "demo-app");
  let credentialReplies = 0;
  const sub = h.nc.subscribe(`credvend.v1.reply.${tenant}.demo-app.*`, { callback: (_e, m) => { if (m.data.length > 200) credentialReplies += 1; } });
  await h.nc.flush();
  await h.awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 1200 } });
  const requestId = uniqueRequestId();
  // One attempt of 500 ms: the request's own deadline passes while STS is still working.
  await assert.rejects(ask(h, tenant, { requestId, timeoutMs: 500 }), (e) => e instanceof CredvendError && e.code === "DEADLINE_EXCEEDED");
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(credentialReplies, 0, "nothing is published to the requester once its request gave up");
  await h.awsLocal.admin.setFaults({});
  const retried = await ask(h, tenant, { requestId });
  const assumeRole = await calls(h, "sts:AssumeRole");
  assert.equal(assumeRole.total, 1, "the retry replays what STS issued late");
  assert.deepEqual([...ledger.keysOf(requestId)], [retried.accessKeyId]);
  sub.unsubscribe();
  ledger.close();
});

test("the application's own retry, right after its call gave up, gets the credentials: never the earlier call's stale DEADLINE_PASSED", async () => {
  const { h, tenant } = await stack();
  // The first call's deadline (2 attempts of 300 ms plus the client's 3 s gap budget) passes
  // while STS is still working; the application retries with the same id at once.
  await h.awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 3800 } });
  const requestId = uniqueRequestId();
  await assert.rejects(ask(h, tenant, { requestId, attempts: 2, timeoutMs: 300 }), (e) => reasonOf(e) === "CV_ERR_CLIENT_TIMEOUT");
  // While the late STS call runs, the retry is told IN_PROGRESS (retry after 250 ms): enough
  // attempts to outlast the call's remaining time on a loaded machine, where it starts late.
  const retried = await ask(h, tenant, { requestId, attempts: 12, timeoutMs: 3000 });
  assert.match(retried.accessKeyId, /^ASIA/);
  assert.equal((await calls(h, "sts:AssumeRole")).total, 1);
});

test("STS throttling: the SDK retries within the deadline, then a retryable CV_ERR_AWS_THROTTLED with retry-after; the client's retries get every id served", async (t) => {
  const { h, tenant } = await stack();
  await h.awsLocal.admin.setFaults({ throttle: { "sts:AssumeRole": { ratePerSecond: 4, burst: 2 } } });
  // Raw requests first: the refusal itself.
  const probes = Array.from({ length: 12 }, () => rawRequester(h.nc, tenant, "demo-app"));
  const first = await Promise.all(probes.map((p) => p.untilFinal(30_000)));
  assert.ok(first.every((f) => f.kind === "credentials"), JSON.stringify(first));
  const refusals = probes.flatMap((p) => p.refusals);
  assert.ok(refusals.some((r) => r.reason === "CV_ERR_AWS_THROTTLED" && r.retryAfterMs > 0), `a throttled refusal with retry-after: ${JSON.stringify(refusals)}`);
  const throttled = (await calls(h, "sts:AssumeRole")).errors["Throttling"] ?? 0;
  assert.ok(throttled > 0, "aws-local throttled some calls");
  // The client SDK, default retries: every request served.
  const served = await Promise.all(Array.from({ length: 8 }, () => h.client(tenant, "demo-app", { timeoutMs: 5000 }).request({ template: "s3-tenant-read", params: { bucket: "acme-data" } })));
  assert.equal(served.length, 8);
  const ok = (await calls(h, "sts:AssumeRole")).ok;
  assert.equal(ok, 20, "one successful AssumeRole per id");
  t.diagnostic(`throttled AssumeRole answers: ${(await calls(h, "sts:AssumeRole")).errors["Throttling"]}; ok ${ok} for 20 ids`);
});
