import { test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { withRequestId, type AssumeRolePlan, type StsPlan } from "@credvend/policy";
import { DeniedCache } from "./denied-cache.js";

const REQUEST_ID = "req-00000001";
/** A plan as planRequest makes it: the request id in the session name and in its session tag. */
const plan = (o: Partial<AssumeRolePlan> = {}): StsPlan => ({
  kind: "assume_role", template: "t", effectiveTenant: "acme", callerTenant: "acme", principal: "app", requestId: REQUEST_ID,
  accessRule: "#0", durationSeconds: 900, rateLimits: [], roleArn: "arn:aws:iam::000000000000:role/r", roleSessionName: `app.${REQUEST_ID}`,
  policyArns: [], tags: [{ key: "credvend-request-id", value: REQUEST_ID }], transitiveTagKeys: [], ...o,
});
const denied = new CredvendError("CV_ERR_STS_ACCESS_DENIED", "STS refused the call");

test("the key is the STS call: not what only the request id sets; another caller, or a call a reload changed, is another key", () => {
  const key = DeniedCache.keyOf(plan());
  assert.equal(DeniedCache.keyOf(withRequestId(plan(), "req-00000002")), key, "a retry under a fresh request id");
  assert.notEqual(DeniedCache.keyOf(plan({ principal: "other", roleSessionName: `other.${REQUEST_ID}` })), key);
  assert.notEqual(DeniedCache.keyOf(plan({ effectiveTenant: "other", callerTenant: "other" })), key, "a refusal is answered only to the caller it was made for");
  assert.notEqual(DeniedCache.keyOf(plan({ template: "t2" })), key);
  // What a reload of the template changes reaches STS at once.
  assert.notEqual(DeniedCache.keyOf(plan({ roleArn: "arn:aws:iam::000000000000:role/fixed" })), key, "another role");
  assert.notEqual(DeniedCache.keyOf(plan({ policy: "{}" })), key, "another session policy");
  assert.notEqual(DeniedCache.keyOf(plan({ externalId: "e" })), key, "another external id");
  assert.notEqual(DeniedCache.keyOf(plan({ durationSeconds: 3600 })), key, "another duration");
  const mfa = (tokenCode: string) => DeniedCache.keyOf(plan({ serialNumber: "arn:aws:iam::000000000000:mfa/app", tokenCode }));
  assert.notEqual(mfa("123456"), mfa("654321"), "a fresh MFA code still reaches STS");
  assert.ok(!mfa("123456").includes("123456"));
});

test("a remembered refusal answers until its TTL, then is forgotten; the cache stays bounded", () => {
  let now = 1_000;
  const cache = new DeniedCache({ ttlMs: 500, maxEntries: 2, now: () => now });
  cache.remember("k", "acme", denied);
  assert.equal(cache.recall("k")?.reason, "CV_ERR_STS_ACCESS_DENIED");
  now += 500;
  assert.equal(cache.recall("k"), undefined);
  for (const k of ["a", "b", "c"]) cache.remember(k, "acme", denied);
  assert.equal(cache.size, 2);
  assert.equal(cache.recall("a"), undefined, "the oldest left first");
});

test("a tenant flooding distinct refused calls does not flush another tenant's remembered refusals", () => {
  const cache = new DeniedCache({ ttlMs: 60_000, maxEntries: 10, now: () => 1_000 });
  cache.remember("b:0", "tenant-b", denied);
  for (let i = 0; i < 100; i += 1) cache.remember(`a:${i}`, "tenant-a", denied);
  assert.equal(cache.size, 10);
  assert.equal(cache.recall("b:0")?.reason, "CV_ERR_STS_ACCESS_DENIED", "tenant B's refusal still saves its STS call");
  assert.ok(cache.recall("a:99"), "the flooder keeps its newest");
  assert.equal(cache.recall("a:0"), undefined, "the flooder's oldest left");
});
