// The KMS authorizer on its own: which policies must allow, depending on how the key policy names
// the caller (IAM User Guide, "Policy evaluation logic": same-account resource-based policies and
// implicit denies; "Policies and permissions in IAM", Session policies; "Principal" element).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluatePolicies } from "../iam/evaluate.js";
import { ACCOUNT, allow, roleCaller, userCaller } from "../iam/fixture-callers.js";
import { AwsError, type CallerIdentity, type PolicyDocument } from "../types.js";
import { createKmsAuthorizer } from "./authorize.js";
import type { KmsKey } from "./key-store.js";

const authorize = createKmsAuthorizer(evaluatePolicies);
const keyWith = (principal: string, accountId = ACCOUNT): KmsKey => ({
  accountId,
  id: "k",
  arn: `arn:aws:kms:eu-west-1:${accountId}:key/k`,
  material: Buffer.alloc(32),
  materialId: "m",
  description: "",
  policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: principal }, Action: "kms:Encrypt", Resource: "*" }] },
  creationDate: 0,
  tags: [],
  state: "Enabled",
});
const S3_ONLY = allow("s3:GetObject");
const DENY: PolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "kms:Encrypt", Resource: "*" }] };

/** The refusal's message, or "allowed". */
function decide(key: KmsKey, caller: CallerIdentity): string {
  try {
    authorize({ caller, key, action: "kms:Encrypt" });
    return "allowed";
  } catch (error) {
    if (error instanceof AwsError) return error.message;
    throw error;
  }
}

describe("KMS key policy grants, by the principal the key policy names", () => {
  const sessionArn = `arn:aws:sts::${ACCOUNT}:assumed-role/hop/fixed`;
  const roleArn = `arn:aws:iam::${ACCOUNT}:role/hop`;
  const limited = roleCaller("hop", "fixed", { sessionPolicy: S3_ONLY });

  it("the session ARN: granted directly, not limited by the session policy", () => {
    assert.equal(decide(keyWith(sessionArn), limited), "allowed");
  });

  it("the role ARN: no identity policy needed, but the session policy must allow", () => {
    assert.equal(decide(keyWith(roleArn), roleCaller("hop", "fixed")), "allowed");
    assert.match(decide(keyWith(roleArn), limited), /no session policy allows/);
  });

  it("'*': granted directly in the key's account, not limited by the session policy", () => {
    assert.equal(decide(keyWith("*"), limited), "allowed");
    assert.equal(decide(keyWith("*"), userCaller("uma")), "allowed");
  });

  it("the account: the identity policy and the session policy must allow", () => {
    assert.match(decide(keyWith(ACCOUNT), roleCaller("hop", "fixed")), /no identity-based policy allows/);
    assert.match(decide(keyWith(ACCOUNT), roleCaller("hop", "fixed", { identityPolicies: [allow("kms:*")], sessionPolicy: S3_ONLY })), /no session policy allows/);
    assert.equal(decide(keyWith(ACCOUNT), roleCaller("hop", "fixed", { identityPolicies: [allow("kms:*")] })), "allowed");
  });

  it("an explicit Deny in the identity or session policy wins over a grant to the session itself", () => {
    assert.match(decide(keyWith(sessionArn), roleCaller("hop", "fixed", { identityPolicies: [DENY] })), /explicit deny in an identity-based policy/);
    assert.match(decide(keyWith(sessionArn), roleCaller("hop", "fixed", { sessionPolicy: DENY })), /explicit deny in a session policy/);
  });

  it("another account's key: the caller's identity policy is needed whatever the key policy names", () => {
    const other = "999999999999";
    assert.match(decide(keyWith(sessionArn, other), roleCaller("hop", "fixed")), /no identity-based policy allows/);
    assert.match(decide(keyWith("*", other), userCaller("uma")), /no identity-based policy allows/);
    assert.equal(decide(keyWith("*", other), userCaller("uma", { identityPolicies: [allow("kms:Encrypt")] })), "allowed");
  });
});
