// KMS faults on the reply's data key (GenerateDataKey comes before STS): throttled, slower than
// the request's deadline, or the key in a state KMS refuses (KMSInvalidStateException, as for a
// key pending deletion). Each refusal says what to do (retryable with retry-after, or not), costs
// no AssumeRole and leaves no claim behind: once KMS is back, the same request id is served at
// once with exactly one AssumeRole. No cached data keys, so every request needs KMS.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { demoConfig } from "./support/config.js";
import { refusal } from "./support/outcome.js";
import { startHarness, type Harness } from "./support/harness.js";

const tenant = uniqueName("kmsfault");
let h: Harness;
before(async () => {
  h = await startHarness({ config: demoConfig({ tenants: [tenant] }), env: { CREDVEND_DATA_KEY_CACHE_SECONDS: "0" } });
});
after(async () => {
  await h?.stop();
});

const assumeRole = async () => (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;
const ask = (requestId: string, timeoutMs = 3000) =>
  h.client(tenant, "demo-app", { attempts: 1, timeoutMs }).request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId });

/** After the fault is cleared: the id is served by its first retry, with one AssumeRole. */
async function servedOnceAfter(requestId: string, callsBefore: number): Promise<void> {
  await h.awsLocal.admin.setFaults({});
  const served = await ask(requestId);
  assert.match(served.accessKeyId, /^ASIA/);
  assert.equal(served.replayed, false);
  assert.equal(await assumeRole() - callsBefore, 1, "one AssumeRole, only once KMS answered");
}

test("GenerateDataKey throttled past the SDK's retries: CV_ERR_AWS_THROTTLED, retryable with retry-after, no AssumeRole", async () => {
  const before = await assumeRole();
  await h.awsLocal.admin.setFaults({ errors: [{ operation: "kms:GenerateDataKey", code: "ThrottlingException", status: 400, count: 1000 }] });
  const requestId = uniqueRequestId();
  const e = await refusal(ask(requestId));
  assert.equal(e.reason, "CV_ERR_AWS_THROTTLED", e.message);
  assert.equal(e.code, "UNAVAILABLE");
  assert.ok(e.retryable && (e.retryAfterMs ?? 0) > 0, `retryable with retry-after: ${JSON.stringify(e)}`);
  assert.match(e.message, /KMS throttled GenerateDataKey/);
  assert.equal(await assumeRole(), before);
  await servedOnceAfter(requestId, before);
});

test("GenerateDataKey slower than the deadline: DEADLINE_EXCEEDED, no AssumeRole, and no claim left to hold the retry", async () => {
  const before = await assumeRole();
  await h.awsLocal.admin.setFaults({ latencyMs: { "kms:GenerateDataKey": 2000 } });
  const requestId = uniqueRequestId();
  await assert.rejects(ask(requestId, 500), (e) => e instanceof CredvendError && (e.code === "DEADLINE_EXCEEDED" || e.reason === "CV_ERR_CLIENT_TIMEOUT"));
  assert.equal(await assumeRole(), before);
  // The retry comes at once, while the slow GenerateDataKey may still be open.
  await servedOnceAfter(requestId, before);
});

test("the reply key in a state KMS refuses (KMSInvalidStateException): CV_ERR_KMS_DENIED, not retryable, not remembered", async () => {
  const before = await assumeRole();
  await h.awsLocal.admin.setFaults({ errors: [{ operation: "kms:GenerateDataKey", code: "KMSInvalidStateException", status: 400, count: 1000 }] });
  const requestId = uniqueRequestId();
  const e = await refusal(ask(requestId));
  assert.equal(e.reason, "CV_ERR_KMS_DENIED", e.message);
  assert.equal(e.retryable, false);
  assert.match(e.message, /KMSInvalidStateException/);
  assert.equal(await assumeRole(), before);
  // A KMS refusal is the operator's to fix, so it is not stored: the same id is served once fixed.
  await servedOnceAfter(requestId, before);
});
