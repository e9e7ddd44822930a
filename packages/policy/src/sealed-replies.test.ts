// Sealed (X25519) replies are an access-rule permission, default deny, decided by the rule that
// allows the request: a requester can not use them to skip the KMS key policy unless a rule says so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { planRequest } from "./plan.js";
import { DEMO, input, okConfig, problemsOf } from "./test-fixtures.js";

const SEALED_RULE = `  - name: batch-sealed
    tenants: ["acme"]
    principals: ["batch-onprem"]
    templates: ["s3-tenant-read"]
    params: { bucket: ["acme-data"] }
    sealed_replies: allow
`;
const config = okConfig(DEMO.replace("rate_limits:", `${SEALED_RULE}rate_limits:`));
const read = { template: "s3-tenant-read", params: { bucket: "acme-data" } };

function refusal(fn: () => unknown): CredvendError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CredvendError) return error;
    throw error;
  }
  assert.fail("expected a refusal");
}

test("a rule with sealed_replies: allow permits sealed replies", () => {
  const plan = planRequest(config, input({ ...read, principal: "batch-onprem", sealedReply: true }));
  assert.equal(plan.accessRule, "batch-sealed");
  assert.equal(planRequest(config, input({ ...read, principal: "batch-onprem" })).accessRule, "#0", "a KMS request is served as before");
});

test("without the permission a sealed request is refused, the KMS one still served", () => {
  const error = refusal(() => planRequest(config, input({ ...read, sealedReply: true })));
  assert.equal(error.reason, "CV_ERR_SEALED_REPLY_NOT_ALLOWED");
  assert.equal(error.code, "PERMISSION_DENIED");
  assert.equal(error.field, "reply_public_key");
  assert.equal(planRequest(config, input(read)).accessRule, "#0");
});

test("rules without the permission are passed over, wherever they sit", () => {
  // Rule #0 (principals batch-*) comes first and lacks the permission: batch-sealed serves instead.
  assert.equal(planRequest(config, input({ ...read, principal: "batch-onprem", sealedReply: true })).accessRule, "batch-sealed");
  // batch-other is covered by #0 only; sealed_replies: deny is the same as leaving it out.
  const explicit = okConfig(DEMO.replace('principals: ["demo-app", "batch-*"]', 'principals: ["demo-app", "batch-*"]\n    sealed_replies: deny'));
  for (const c of [config, explicit]) {
    assert.equal(refusal(() => planRequest(c, input({ ...read, principal: "batch-other", sealedReply: true }))).reason, "CV_ERR_SEALED_REPLY_NOT_ALLOWED");
  }
  // The permitting rule's own constraints still apply.
  assert.equal(refusal(() => planRequest(config, input({ template: "s3-tenant-read", params: { bucket: "other-data" }, principal: "batch-onprem", sealedReply: true }))).reason, "CV_ERR_PARAM_NOT_ALLOWED");
});

test("lint: sealed_replies on a deny rule is an error, for every principal a warning, a bad value a schema error", () => {
  const deny = problemsOf(DEMO.replace("rate_limits:", '  - { effect: deny, tenants: ["acme"], principals: ["x"], templates: ["*"], sealed_replies: allow }\nrate_limits:'));
  assert.ok(deny.some((p) => p.severity === "error" && p.path === "access[1].sealed_replies" && p.message.includes("deny rule")), JSON.stringify(deny));
  const everyone = problemsOf(DEMO.replace("rate_limits:", '  - { tenants: ["acme"], principals: ["*"], templates: ["s3-tenant-read"], params: { bucket: ["acme-data"] }, sealed_replies: allow }\nrate_limits:'));
  assert.ok(everyone.some((p) => p.severity === "warning" && p.path === "access[1].sealed_replies"), JSON.stringify(everyone));
  const typo = problemsOf(DEMO.replace("rate_limits:", '  - { tenants: ["acme"], principals: ["x"], templates: ["s3-tenant-read"], params: { bucket: ["acme-data"] }, sealed_replies: yes }\nrate_limits:'));
  assert.ok(typo.some((p) => p.severity === "error" && p.path.startsWith("access[1].sealed_replies")), JSON.stringify(typo));
  assert.deepEqual(problemsOf(DEMO.replace("rate_limits:", `${SEALED_RULE}rate_limits:`)).filter((p) => p.path.includes("sealed_replies")), []);
});
