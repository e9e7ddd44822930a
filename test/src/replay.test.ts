// A stored reply is served again only to what is still the same request, under the access rules
// of now: a retry after access was revoked is refused, and a retry carrying another MFA code is
// another request (same request id, different content). A stored refusal is remembered for
// seconds, not for the day a success may be.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createRedis, waitReady } from "@credvend/guard";
import { DEV_MFA_SERIAL, DEV_MFA_TOTP_SECRET, totp } from "@credvend/aws-local";
import { CredvendError } from "@credvend/protocol";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { demoConfig } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";

const tenant = uniqueName("replay");
const mfaTemplate = `  mfa-role:
    kind: assume_role
    role_arn: arn:aws:iam::000000000000:role/credvend-demo-mfa
    duration: { default: 900, max: 3600 }
    mfa: { required: true }
`;
const mfaAccess = `  - tenants: ["${tenant}"]
    principals: ["demo-app"]
    templates: ["mfa-role"]
`;
const granted = demoConfig({ tenants: [tenant], extraTemplates: mfaTemplate, extraAccess: mfaAccess });
// demo-app loses s3-tenant-read; other-app keeps it (the file stays valid).
const revoked = granted.replace(`principals: ["demo-app","other-app"]`, `principals: ["other-app"]`);
let h: Harness;

before(async () => {
  assert.notEqual(revoked, granted);
  h = await startHarness({ config: granted });
});
after(async () => {
  await h?.stop();
});

const code = (e: unknown) => (e instanceof CredvendError ? `${e.code} ${e.reason}` : String(e));

test("a replay after access was revoked is refused, not served from the idempotency record", async () => {
  const client = h.client(tenant, "demo-app", { attempts: 1 });
  const request = { template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId: uniqueRequestId() };
  const first = await client.request(request);
  assert.equal((await client.request(request)).accessKeyId, first.accessKeyId, "a replay while entitled is served");
  writeFileSync(h.configFile, revoked);
  h.vendor.reload();
  assert.equal(h.vendor.worker.stats().config.version, "file:2");
  const replay = await client.request(request).then(() => "served", code);
  assert.equal(replay, "PERMISSION_DENIED CV_ERR_NOT_ENTITLED");
  writeFileSync(h.configFile, granted);
  h.vendor.reload();
});

test("the same request id with another MFA code is a different request", async () => {
  const client = h.client(tenant, "demo-app", { attempts: 1 });
  const requestId = uniqueRequestId();
  const mfa = { serialNumber: DEV_MFA_SERIAL, tokenCode: totp(DEV_MFA_TOTP_SECRET, Date.now()) };
  const first = await client.request({ template: "mfa-role", params: {}, requestId, mfa });
  assert.match(first.accessKeyId, /^ASIA/);
  const other = { ...mfa, tokenCode: mfa.tokenCode === "000000" ? "111111" : "000000" };
  const retry = await client.request({ template: "mfa-role", params: {}, requestId, mfa: other }).then(() => "served", code);
  assert.equal(retry, "INVALID_ARGUMENT CV_ERR_IDEMPOTENCY_KEY_REUSED");
  const same = await client.request({ template: "mfa-role", params: {}, requestId, mfa });
  assert.equal(same.accessKeyId, first.accessKeyId, "the identical request (same code) is still replayed");
});

test("a refusal that depends only on the request is stored for seconds, and replayed meanwhile", async () => {
  const assumeRoleCalls = async () => (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;
  await h.awsLocal.admin.setFaults({ errors: [{ operation: "sts:AssumeRole", code: "MalformedPolicyDocument", status: 400, message: "rejected" }] });
  const client = h.client(tenant, "demo-app", { attempts: 1 });
  const request = { template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId: uniqueRequestId() };
  const before = await assumeRoleCalls();
  assert.equal(await client.request(request).then(() => "served", code), "FAILED_PRECONDITION CV_ERR_STS_REJECTED_INPUT");
  assert.equal(await client.request(request).then(() => "served", code), "FAILED_PRECONDITION CV_ERR_STS_REJECTED_INPUT");
  assert.equal(await assumeRoleCalls(), before + 1, "the retry got the stored refusal");
  const redis = createRedis(h.redisUrl);
  try {
    await waitReady(redis, 2000);
    const ttl = await redis.pttl(`credvend:idem:{${tenant}}:demo-app:${request.requestId}`);
    assert.ok(ttl > 0 && ttl <= 10_000, `refusal kept for ${ttl} ms`);
  } finally {
    redis.disconnect();
  }
});
