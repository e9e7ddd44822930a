// Where policy documents enter aws-local other than PutRolePolicy and STS: CreateKey (KMS's own key
// policy rules: KMS API Reference, CreateKey, Policy) and the seed (trust policies may not name a
// Resource; identity policies follow IAM's grammar). A seed that breaks them is refused at start.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ACCOUNT, allow, userCaller } from "../iam/fixture-callers.js";
import { validateSeed } from "../seed/load.js";
import type { PolicyDocument } from "../types.js";
import { b64, call, failure, testKms } from "./fixture-service.js";

const admin = userCaller("kms-admin", { identityPolicies: [allow("kms:*")] });
const namesAdmin = (statement: object = {}): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: admin.arn }, Action: "kms:*", Resource: "*", ...statement }],
});

describe("CreateKey: KMS's key policy rules", () => {
  it("a policy over 32,768 characters is a ValidationException", async () => {
    const long = JSON.stringify({ ...namesAdmin(), Id: "x".repeat(32_768) });
    assert.equal((await failure(testKms(), "CreateKey", { Policy: long }, admin)).code, "ValidationException");
  });

  it("a policy that would lock the caller out of PutKeyPolicy is refused, unless the check is bypassed", async () => {
    const kms = testKms();
    const lockout = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:Encrypt", Resource: "*" }] });
    const refused = await failure(kms, "CreateKey", { Policy: lockout }, admin);
    assert.equal(refused.code, "MalformedPolicyDocumentException");
    assert.match(refused.message, /will not allow you to update the key policy in the future/);
    assert.ok((await call(kms, "CreateKey", { Policy: lockout, BypassPolicyLockoutSafetyCheck: true }, admin))["KeyMetadata"]);
  });

  it("a statement without Resource or Action is accepted and has no effect", async () => {
    const kms = testKms();
    const encryptor = userCaller("encryptor");
    const policy: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { AWS: admin.arn }, Action: "kms:*", Resource: "*" },
        { Effect: "Allow", Principal: { AWS: encryptor.arn }, Action: "kms:Encrypt" },
        { Effect: "Deny", Principal: { AWS: admin.arn }, Resource: "*" },
      ],
    };
    const meta = (await call(kms, "CreateKey", { Policy: JSON.stringify(policy) }, admin))["KeyMetadata"] as Record<string, unknown>;
    assert.equal((await failure(kms, "Encrypt", { KeyId: meta["KeyId"], Plaintext: b64("x") }, encryptor)).code, "AccessDeniedException");
    assert.ok((await call(kms, "Encrypt", { KeyId: meta["KeyId"], Plaintext: b64("x") }, admin))["CiphertextBlob"]);
  });
});

describe("seed policies follow the grammar of the API that would have stored them", () => {
  const base = { account_id: "123456789012" };
  it("a trust policy may not name a Resource", () => {
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "123456789012" }, Action: "sts:AssumeRole", Resource: "*" }] };
    assert.throws(() => validateSeed({ ...base, roles: [{ name: "r", trust_policy: trust }] }, "test seed"), /test seed is invalid:\n {2}roles\.0\.trust_policy: .*Has prohibited field Resource/);
  });

  it("an identity policy needs Resource, vendor-prefixed actions and ARN resources, as PutRolePolicy", () => {
    const bad = [
      { Effect: "Allow", Action: "sts:AssumeRole" },
      { Effect: "Allow", Action: "AssumeRole", Resource: "*" },
      { Effect: "Allow", Action: "kms:Decrypt", Resource: "my-key" },
    ];
    for (const statement of bad) {
      const user = { name: "u", policies: [{ name: "p", document: { Version: "2012-10-17", Statement: [statement] } }] };
      assert.throws(() => validateSeed({ ...base, users: [user] }, "test seed"), /users\.0\.policies\.0\.document: /, JSON.stringify(statement));
    }
  });
});
