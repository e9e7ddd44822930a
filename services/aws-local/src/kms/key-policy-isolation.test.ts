// The credvend reply key at unit level: another requester can never open a data key made for
// demo-app, including through encryption-context keys that differ only in case.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ACCOUNT, allow, roleCaller, userCaller } from "../iam/fixture-callers.js";
import { AwsError, type PolicyDocument } from "../types.js";
import { b64, call, failure, OPEN_KEY_ID, testKms } from "./fixture-service.js";

const vendor = userCaller("credvend-vendor", { identityPolicies: [allow("kms:*")] });
// With root delegation the IAM policy must allow too: these tests give it, so the key policy decides.
const demoApp = userCaller("demo-app", { identityPolicies: [allow("kms:*")] });
const otherApp = userCaller("other-app", { identityPolicies: [allow("kms:*")] });
const context = { "credvend:tenant": "acme", "credvend:principal": "demo-app" };

async function demoDataKey(kms = testKms()) {
  const dk = await call(kms, "GenerateDataKey", { KeyId: "alias/credvend-replies", KeySpec: "AES_256", EncryptionContext: context }, vendor);
  return { kms, blob: dk["CiphertextBlob"] as string, plaintext: dk["Plaintext"] as string };
}

describe("other-app can never open demo-app's data key", () => {
  it("not with extra context keys, a case variant, a lookalike key, or no context", async () => {
    const { kms, blob } = await demoDataKey();
    const attempts: Record<string, string>[] = [
      { ...context, "credvend:extra": "x" },
      { "credvend:tenant": "acme", "credvend:Principal": "other-app" },
      { "credvend:tenant": "acme", "credvend:principal": "other-app" },
      { "credvend:tenant": "acme", "credvend:prіncipal": "other-app" }, // Cyrillic і
      { "credvend:tenant": "acme", "credvend:principal": "other-app\u200b" },
      {},
    ];
    for (const EncryptionContext of attempts) {
      const error = await failure(kms, "Decrypt", { CiphertextBlob: blob, EncryptionContext }, otherApp);
      assert.ok(["AccessDeniedException", "InvalidCiphertextException"].includes(error.code), `${JSON.stringify(EncryptionContext)}: ${error.code}`);
    }
  });

  it("not with the exact context, whatever session policy or identity policy it carries", async () => {
    const { kms, blob } = await demoDataKey();
    for (const caller of [
      userCaller("other-app", { sessionPolicy: allow("*") }),
      userCaller("other-app", { identityPolicies: [allow("kms:*")] }),
    ]) {
      assert.equal((await failure(kms, "Decrypt", { CiphertextBlob: blob, EncryptionContext: context }, caller)).code, "AccessDeniedException");
    }
  });

  it("not as a role session (no aws:username), even one named demo-app, nor as a federated user", async () => {
    const { kms, blob } = await demoDataKey();
    const federated = userCaller("demo-app", {
      kind: "federated-user",
      arn: `arn:aws:sts::${ACCOUNT}:federated-user/demo-app`,
      userId: `${ACCOUNT}:demo-app`,
      accessKeyId: "ASIAEXAMPLEEXAMPLE02",
    });
    const { userName: _drop, ...federatedWithoutUserName } = federated;
    for (const caller of [roleCaller("credvend-demo", "demo-app"), roleCaller("demo-app", "demo-app"), federatedWithoutUserName]) {
      assert.equal((await failure(kms, "Decrypt", { CiphertextBlob: blob, EncryptionContext: context }, caller)).code, "AccessDeniedException", caller.arn);
    }
  });

  it("not by ReEncrypt onto a key it controls: ReEncryptFrom is checked with the SOURCE context", async () => {
    const { kms, blob } = await demoDataKey();
    const own = await call(kms, "CreateKey", {}, otherApp); // default policy: the account may do anything
    const ownKeyId = (own["KeyMetadata"] as Record<string, unknown>)["KeyId"] as string;
    const mine = { "credvend:principal": "other-app" };
    for (const input of [
      { CiphertextBlob: blob, SourceEncryptionContext: context, DestinationKeyId: ownKeyId, DestinationEncryptionContext: mine },
      { CiphertextBlob: blob, SourceEncryptionContext: mine, DestinationKeyId: ownKeyId, DestinationEncryptionContext: mine },
      { CiphertextBlob: blob, SourceEncryptionContext: context, DestinationKeyId: "alias/credvend-replies", DestinationEncryptionContext: mine },
    ]) {
      const error = await failure(kms, "ReEncrypt", input, otherApp);
      assert.equal(error.code, "AccessDeniedException");
      assert.match(error.message, /kms:ReEncryptFrom/);
    }
  });

  it("while demo-app itself still opens it", async () => {
    const { kms, blob, plaintext } = await demoDataKey();
    assert.equal((await call(kms, "Decrypt", { CiphertextBlob: blob, EncryptionContext: context }, demoApp))["Plaintext"], plaintext);
  });
});

describe("encryption-context keys that differ only in case", () => {
  it("can't pass a key-policy condition with the other spelling's value (Decrypt authorization)", async () => {
    const { kms, blob } = await demoDataKey();
    // Condition keys are case-insensitive, so both pairs feed kms:EncryptionContext:credvend:principal.
    // Before the fix the last one won: other-app passed authorization (DryRun said it would succeed).
    const ambiguous = { ...context, "credvend:Principal": "other-app" };
    const error = await failure(kms, "Decrypt", { CiphertextBlob: blob, EncryptionContext: ambiguous, DryRun: true }, otherApp);
    assert.equal(error.code, "AccessDeniedException");
  });

  it("can't make a ciphertext that claims another principal under a context-conditioned Encrypt grant", async () => {
    const kms = testKms();
    const policy: PolicyDocument = {
      Version: "2012-10-17",
      Statement: {
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
        Action: ["kms:Encrypt", "kms:Decrypt"],
        Resource: "*",
        Condition: { StringEquals: { "kms:EncryptionContext:credvend:principal": "${aws:username}" } },
      },
    };
    // The policy gives no one kms:PutKeyPolicy: AWS refuses it unless the lockout check is bypassed.
    const created = await call(kms, "CreateKey", { Policy: JSON.stringify(policy), BypassPolicyLockoutSafetyCheck: true }, vendor);
    const keyId = (created["KeyMetadata"] as Record<string, unknown>)["KeyId"] as string;
    // Own context: fine.
    await call(kms, "Encrypt", { KeyId: keyId, Plaintext: b64("hi"), EncryptionContext: { "credvend:principal": "other-app" } }, otherApp);
    // Claiming demo-app, with a case variant carrying its own name: refused (was allowed).
    const forged = { "credvend:principal": "demo-app", "credvend:PRINCIPAL": "other-app" };
    assert.equal((await failure(kms, "Encrypt", { KeyId: keyId, Plaintext: b64("hi"), EncryptionContext: forged }, otherApp)).code, "AccessDeniedException");
    // The same spelling twice with equal values is not ambiguous.
    const same = { "credvend:principal": "other-app", "credvend:Principal": "other-app" };
    await call(kms, "Encrypt", { KeyId: keyId, Plaintext: b64("hi"), EncryptionContext: same }, otherApp);
  });

  it("does not disturb contexts without such collisions", async () => {
    const kms = testKms();
    const ctx = { a: "1", B: "2", b2: "3" };
    const enc = await call(kms, "Encrypt", { KeyId: "alias/open", Plaintext: b64("x"), EncryptionContext: ctx }, demoApp);
    assert.equal((await call(kms, "Decrypt", { CiphertextBlob: enc["CiphertextBlob"], EncryptionContext: ctx }, demoApp))["Plaintext"], b64("x"));
  });
});

describe("hostile ciphertexts and inputs only ever give AwsError", () => {
  it("every truncation and every single-byte flip of a real blob", async () => {
    const { kms, blob } = await demoDataKey();
    const raw = Buffer.from(blob, "base64");
    const inputs: Buffer[] = [];
    for (let cut = 0; cut < raw.length; cut++) inputs.push(raw.subarray(0, cut));
    for (let i = 0; i < raw.length; i++) {
      const flipped = Buffer.from(raw);
      flipped[i] = (flipped[i] ?? 0) ^ 0xff;
      inputs.push(flipped);
    }
    for (const bytes of inputs) {
      try {
        await kms.handle("Decrypt", { CiphertextBlob: bytes.toString("base64"), EncryptionContext: context }, demoApp);
        assert.fail(`a damaged blob of ${bytes.length} bytes decrypted`);
      } catch (error) {
        assert.ok(error instanceof AwsError, String(error));
        assert.ok(["InvalidCiphertextException", "ValidationException"].includes(error.code), error.code);
      }
    }
  });

  it("invalid base64 and wrong types are SerializationException, never a crash", async () => {
    const kms = testKms();
    for (const CiphertextBlob of ["!!!!", "QUJD RA==", "QUJDRA", "====", 5, {}, [], true]) {
      const error = await failure(kms, "Decrypt", { CiphertextBlob }, demoApp);
      assert.equal(error.code, "SerializationException", JSON.stringify(CiphertextBlob));
    }
  });

  it("DescribeKey and ListAliases use epoch-second timestamps", async () => {
    const kms = testKms(() => Date.UTC(2026, 10, 29, 12, 0, 0, 500));
    const meta = (await call(kms, "DescribeKey", { KeyId: OPEN_KEY_ID }, demoApp))["KeyMetadata"] as Record<string, unknown>;
    assert.equal(meta["CreationDate"], Date.UTC(2026, 10, 29, 12, 0, 0, 500) / 1000);
    const aliases = (await call(kms, "ListAliases", {}, demoApp))["Aliases"] as Record<string, unknown>[];
    assert.ok(aliases.length > 0);
    for (const a of aliases) assert.equal(typeof a["CreationDate"], "number");
  });
});
