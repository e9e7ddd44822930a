import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allow, FIXTURE_PRINCIPALS, roleCaller, userCaller } from "../iam/fixture-callers.js";
import type { PolicyDocument } from "../types.js";
import { b64, call, failure, OPEN_KEY_ID, REPLIES_KEY_ARN, REPLIES_KEY_ID, testKms } from "./fixture-service.js";

const vendor = userCaller("credvend-vendor", { identityPolicies: [allow("kms:*")] });
// With root delegation the IAM policy must allow too: these tests give it, so the key policy decides.
const demoApp = userCaller("demo-app", { identityPolicies: [allow("kms:*")] });
const otherApp = userCaller("other-app", { identityPolicies: [allow("kms:*")] });
const context = { "credvend:tenant": "acme", "credvend:principal": "demo-app" };

describe("credvend-replies: a data key sealed for demo-app", () => {
  it("the vendor generates it; demo-app decrypts it; other-app is denied", async () => {
    const kms = testKms();
    const dk = await call(kms, "GenerateDataKey", { KeyId: "alias/credvend-replies", KeySpec: "AES_256", EncryptionContext: context }, vendor);
    assert.equal(dk["KeyId"], REPLIES_KEY_ARN);
    assert.equal(Buffer.from(dk["Plaintext"] as string, "base64").length, 32);
    assert.match(dk["KeyMaterialId"] as string, /^[0-9a-f]{64}$/);

    // Decrypt without KeyId: the blob names its key.
    const opened = await call(kms, "Decrypt", { CiphertextBlob: dk["CiphertextBlob"], EncryptionContext: context }, demoApp);
    assert.equal(opened["Plaintext"], dk["Plaintext"]);
    assert.equal(opened["KeyId"], REPLIES_KEY_ARN);
    assert.equal(opened["EncryptionAlgorithm"], "SYMMETRIC_DEFAULT");

    const denied = await failure(kms, "Decrypt", { CiphertextBlob: dk["CiphertextBlob"], EncryptionContext: context }, otherApp);
    assert.equal(denied.code, "AccessDeniedException");
    assert.equal(denied.status, 400);
    assert.match(denied.message, /other-app is not authorized to perform: kms:Decrypt on the resource associated with this ciphertext/);
  });

  it("other-app can't get in by claiming to be demo-app... or by changing the context", async () => {
    const kms = testKms();
    const dk = await call(kms, "GenerateDataKey", { KeyId: "alias/credvend-replies", KeySpec: "AES_256", EncryptionContext: context }, vendor);
    const claimed = { ...context, "credvend:principal": "other-app" };
    assert.equal((await failure(kms, "Decrypt", { CiphertextBlob: dk["CiphertextBlob"], EncryptionContext: claimed }, otherApp)).code, "InvalidCiphertextException");
  });

  it("an identity-policy Allow does not bypass the key policy's condition", async () => {
    const kms = testKms();
    const dk = await call(kms, "GenerateDataKey", { KeyId: "alias/credvend-replies", KeySpec: "AES_256", EncryptionContext: context }, vendor);
    const greedy = userCaller("other-app", { identityPolicies: [allow("kms:*")] });
    assert.equal((await failure(kms, "Decrypt", { CiphertextBlob: dk["CiphertextBlob"], EncryptionContext: context }, greedy)).code, "AccessDeniedException");
  });

  it("a wrong encryption context is InvalidCiphertextException", async () => {
    const kms = testKms();
    const dk = await call(kms, "GenerateDataKey", { KeyId: "alias/credvend-replies", KeySpec: "AES_256", EncryptionContext: context }, vendor);
    const wrong = { ...context, "credvend:tenant": "globex" };
    const error = await failure(kms, "Decrypt", { CiphertextBlob: dk["CiphertextBlob"], EncryptionContext: wrong }, demoApp);
    assert.equal(error.code, "InvalidCiphertextException");
    assert.equal(error.status, 400);
  });

  it("a tampered blob or garbage is InvalidCiphertextException", async () => {
    const kms = testKms();
    const dk = await call(kms, "GenerateDataKey", { KeyId: "alias/credvend-replies", NumberOfBytes: 64, EncryptionContext: context }, vendor);
    const blob = Buffer.from(dk["CiphertextBlob"] as string, "base64");
    blob[blob.length - 1] = (blob[blob.length - 1] ?? 0) ^ 0x80;
    const tampered = { CiphertextBlob: blob.toString("base64"), EncryptionContext: context };
    assert.equal((await failure(kms, "Decrypt", tampered, demoApp)).code, "InvalidCiphertextException");
    assert.equal((await failure(kms, "Decrypt", { CiphertextBlob: b64("not a kms blob at all") }, demoApp)).code, "InvalidCiphertextException");
  });

  it("a disabled key refuses with DisabledException (409) until re-enabled", async () => {
    const kms = testKms();
    const root = userCaller("admin", { kind: "root", arn: "arn:aws:iam::000000000000:root" });
    const dk = await call(kms, "GenerateDataKey", { KeyId: "alias/credvend-replies", KeySpec: "AES_128", EncryptionContext: context }, vendor);
    // The replies key policy doesn't grant DisableKey to anyone: nobody may disable it...
    assert.equal((await failure(kms, "DisableKey", { KeyId: REPLIES_KEY_ID }, root)).code, "AccessDeniedException");
    // ...so use the open key (default policy) for the state test.
    const open = await call(kms, "Encrypt", { KeyId: OPEN_KEY_ID, Plaintext: b64("hi") }, demoApp);
    await call(kms, "DisableKey", { KeyId: OPEN_KEY_ID }, demoApp);
    const disabled = await failure(kms, "Decrypt", { CiphertextBlob: open["CiphertextBlob"] }, demoApp);
    assert.deepEqual([disabled.code, disabled.status], ["DisabledException", 409]);
    assert.equal((await failure(kms, "GenerateDataKey", { KeyId: "alias/open", KeySpec: "AES_256" }, demoApp)).code, "DisabledException");
    await call(kms, "EnableKey", { KeyId: OPEN_KEY_ID }, demoApp);
    assert.equal((await call(kms, "Decrypt", { CiphertextBlob: open["CiphertextBlob"] }, demoApp))["Plaintext"], b64("hi"));
    assert.ok(dk["CiphertextBlob"]);
  });

  it("the vendor itself may not decrypt replies (it only generates)", async () => {
    const kms = testKms();
    const dk = await call(kms, "GenerateDataKey", { KeyId: "alias/credvend-replies", KeySpec: "AES_256", EncryptionContext: context }, vendor);
    assert.equal((await failure(kms, "Decrypt", { CiphertextBlob: dk["CiphertextBlob"], EncryptionContext: context }, vendor)).code, "AccessDeniedException");
    assert.equal((await failure(kms, "Encrypt", { KeyId: "alias/credvend-replies", Plaintext: b64("x") }, vendor)).code, "AccessDeniedException");
  });

  it("a session policy must also allow, and its Deny wins", async () => {
    const kms = testKms();
    const limited = userCaller("demo-app", { identityPolicies: [allow("kms:*")], sessionPolicy: allow("kms:Encrypt") });
    assert.equal((await failure(kms, "GenerateDataKey", { KeyId: "alias/open", KeySpec: "AES_256" }, limited)).code, "AccessDeniedException");
    await call(kms, "Encrypt", { KeyId: "alias/open", Plaintext: b64("x") }, limited);
    const denyAll: PolicyDocument = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }, { Effect: "Deny", Action: "kms:Encrypt", Resource: "*" }] };
    const error = await failure(kms, "Encrypt", { KeyId: "alias/open", Plaintext: b64("x") }, userCaller("demo-app", { identityPolicies: [allow("kms:*")], sessionPolicy: denyAll }));
    assert.match(error.message, /explicit deny in a session policy/);
  });

  it("an identity-policy Deny wins over the key policy", async () => {
    const kms = testKms();
    const deny: PolicyDocument = { Version: "2012-10-17", Statement: { Effect: "Deny", Action: "kms:Encrypt", Resource: "*" } };
    const error = await failure(kms, "Encrypt", { KeyId: "alias/open", Plaintext: b64("x") }, userCaller("demo-app", { identityPolicies: [allow("kms:*"), deny] }));
    assert.match(error.message, /explicit deny in an identity-based policy/);
  });

  it("an assumed-role session is authorized by the key policy naming its role", async () => {
    const policy: PolicyDocument = {
      Version: "2012-10-17",
      Statement: { Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:role/vendor" }, Action: "kms:GenerateDataKey*", Resource: "*" },
    };
    const { createKmsService } = await import("./service.js");
    const { evaluatePolicies } = await import("../iam/evaluate.js");
    const kms = createKmsService({ keys: [{ accountId: "000000000000", keys: [{ id: "k-role", policy }] }], region: "eu-west-1", clock: { now: Date.now }, evaluate: evaluatePolicies, principals: FIXTURE_PRINCIPALS });
    await call(kms, "GenerateDataKeyWithoutPlaintext", { KeyId: "k-role", KeySpec: "AES_256" }, roleCaller("vendor", "w1"));
    assert.equal((await failure(kms, "GenerateDataKey", { KeyId: "k-role", KeySpec: "AES_256" }, roleCaller("other", "w1"))).code, "AccessDeniedException");
  });
});

describe("Encrypt / Decrypt", () => {
  it("round-trips with every key id form and returns the key ARN", async () => {
    const kms = testKms();
    const arn = `arn:aws:kms:eu-west-1:000000000000:key/${OPEN_KEY_ID}`;
    for (const keyId of [OPEN_KEY_ID, arn, "alias/open", "arn:aws:kms:eu-west-1:000000000000:alias/open"]) {
      const enc = await call(kms, "Encrypt", { KeyId: keyId, Plaintext: b64("payload"), EncryptionContext: { k: "v" } }, demoApp);
      assert.equal(enc["KeyId"], arn);
      const dec = await call(kms, "Decrypt", { CiphertextBlob: enc["CiphertextBlob"], EncryptionContext: { k: "v" }, KeyId: keyId }, demoApp);
      assert.equal(dec["Plaintext"], b64("payload"));
    }
  });

  it("Decrypt with a different KeyId is IncorrectKeyException", async () => {
    const kms = testKms();
    const enc = await call(kms, "Encrypt", { KeyId: "alias/open", Plaintext: b64("x") }, demoApp);
    assert.equal((await failure(kms, "Decrypt", { CiphertextBlob: enc["CiphertextBlob"], KeyId: REPLIES_KEY_ID }, demoApp)).code, "IncorrectKeyException");
  });

  it("limits plaintext to 1-4096 bytes with KMS's message", async () => {
    const kms = testKms();
    const big = await failure(kms, "Encrypt", { KeyId: "alias/open", Plaintext: Buffer.alloc(4097).toString("base64") }, demoApp);
    assert.equal(big.code, "ValidationException");
    assert.equal(big.message, "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096");
    await call(kms, "Encrypt", { KeyId: "alias/open", Plaintext: Buffer.alloc(4096).toString("base64") }, demoApp);
    assert.equal((await failure(kms, "Encrypt", { KeyId: "alias/open", Plaintext: "" }, demoApp)).code, "ValidationException");
    assert.equal((await failure(kms, "Encrypt", { KeyId: "alias/open" }, demoApp)).code, "ValidationException");
  });

  it("bounds GrantTokens: at most 10, each 1 to 8192 characters", async () => {
    const kms = testKms();
    for (const GrantTokens of [[""], ["a".repeat(8193)], Array.from({ length: 11 }, () => "t")]) {
      const error = await failure(kms, "Encrypt", { KeyId: "alias/open", Plaintext: b64("x"), GrantTokens }, demoApp);
      assert.equal(error.code, "ValidationException", JSON.stringify(GrantTokens.map((t) => t.length)));
      assert.match(error.message, /grantTokens/);
    }
    await call(kms, "Encrypt", { KeyId: "alias/open", Plaintext: b64("x"), GrantTokens: ["a".repeat(8192)] }, demoApp);
  });

  it("rejects wrong JSON types with SerializationException", async () => {
    const kms = testKms();
    assert.equal((await failure(kms, "Encrypt", { KeyId: 5, Plaintext: b64("x") }, demoApp)).code, "SerializationException");
    assert.equal((await failure(kms, "Encrypt", { KeyId: "alias/open", Plaintext: "%%%" }, demoApp)).code, "SerializationException");
    assert.equal((await failure(kms, "Encrypt", { KeyId: "alias/open", Plaintext: b64("x"), EncryptionContext: { a: 1 } }, demoApp)).code, "SerializationException");
    assert.equal((await failure(kms, "Encrypt", [], demoApp)).code, "SerializationException");
  });

  it("unknown keys and aliases are NotFoundException (400, as the live service answers)", async () => {
    const kms = testKms();
    for (const keyId of ["alias/nope", "00000000-0000-0000-0000-000000000000", "arn:aws:kms:us-east-1:000000000000:key/x", "bad id!"]) {
      const error = await failure(kms, "Encrypt", { KeyId: keyId, Plaintext: b64("x") }, demoApp);
      assert.deepEqual([error.code, error.status], ["NotFoundException", 400], keyId);
    }
  });

  it("refuses asymmetric algorithms on symmetric keys", async () => {
    const kms = testKms();
    const error = await failure(kms, "Encrypt", { KeyId: "alias/open", Plaintext: b64("x"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }, demoApp);
    assert.equal(error.code, "InvalidKeyUsageException");
    assert.equal((await failure(kms, "Encrypt", { KeyId: "alias/open", Plaintext: b64("x"), EncryptionAlgorithm: "ROT13" }, demoApp)).code, "ValidationException");
  });

  it("DryRun stops after authorization with DryRunOperationException (412)", async () => {
    const kms = testKms();
    const error = await failure(kms, "Encrypt", { KeyId: "alias/open", Plaintext: b64("x"), DryRun: true }, demoApp);
    assert.deepEqual([error.code, error.status], ["DryRunOperationException", 412]);
  });

  it("never puts the plaintext in an error message", async () => {
    const kms = testKms();
    const secret = "hunter2-super-secret";
    const errors = [
      await failure(kms, "Encrypt", { KeyId: "alias/nope", Plaintext: b64(secret) }, demoApp),
      await failure(kms, "Encrypt", { KeyId: "alias/credvend-replies", Plaintext: b64(secret) }, otherApp),
    ];
    for (const e of errors) assert.ok(!e.message.includes(secret) && !e.message.includes(b64(secret)));
  });
});

describe("GenerateDataKey", () => {
  it("needs exactly one of KeySpec or NumberOfBytes", async () => {
    const kms = testKms();
    for (const input of [{ KeyId: "alias/open" }, { KeyId: "alias/open", KeySpec: "AES_256", NumberOfBytes: 32 }]) {
      assert.equal((await failure(kms, "GenerateDataKey", input, demoApp)).code, "ValidationException");
    }
    assert.equal((await failure(kms, "GenerateDataKey", { KeyId: "alias/open", NumberOfBytes: 1025 }, demoApp)).code, "ValidationException");
    assert.equal((await failure(kms, "GenerateDataKey", { KeyId: "alias/open", KeySpec: "AES_512" }, demoApp)).code, "ValidationException");
  });

  it("makes keys of the requested size; the WithoutPlaintext variant returns none", async () => {
    const kms = testKms();
    const dk = await call(kms, "GenerateDataKey", { KeyId: "alias/open", NumberOfBytes: 7 }, demoApp);
    assert.equal(Buffer.from(dk["Plaintext"] as string, "base64").length, 7);
    const np = await call(kms, "GenerateDataKeyWithoutPlaintext", { KeyId: "alias/open", KeySpec: "AES_128" }, demoApp);
    assert.equal(np["Plaintext"], undefined);
    const opened = await call(kms, "Decrypt", { CiphertextBlob: np["CiphertextBlob"] }, demoApp);
    assert.equal(Buffer.from(opened["Plaintext"] as string, "base64").length, 16);
  });
});

describe("ReEncrypt", () => {
  it("moves a ciphertext to another key and context, checking ReEncryptFrom and ReEncryptTo", async () => {
    const kms = testKms();
    const enc = await call(kms, "Encrypt", { KeyId: "alias/open", Plaintext: b64("move me"), EncryptionContext: { a: "1" } }, demoApp);
    const re = await call(
      kms,
      "ReEncrypt",
      { CiphertextBlob: enc["CiphertextBlob"], SourceEncryptionContext: { a: "1" }, DestinationKeyId: "alias/open", DestinationEncryptionContext: { b: "2" } },
      demoApp,
    );
    assert.equal(re["SourceKeyId"], re["KeyId"]);
    assert.equal((await call(kms, "Decrypt", { CiphertextBlob: re["CiphertextBlob"], EncryptionContext: { b: "2" } }, demoApp))["Plaintext"], b64("move me"));
    const toReplies = await failure(kms, "ReEncrypt", { CiphertextBlob: enc["CiphertextBlob"], SourceEncryptionContext: { a: "1" }, DestinationKeyId: "alias/credvend-replies" }, demoApp);
    assert.equal(toReplies.code, "AccessDeniedException");
    assert.match(toReplies.message, /kms:ReEncryptTo/);
    const wrongSource = await failure(kms, "ReEncrypt", { CiphertextBlob: enc["CiphertextBlob"], SourceEncryptionContext: { a: "2" }, DestinationKeyId: "alias/open" }, demoApp);
    assert.equal(wrongSource.code, "InvalidCiphertextException");
  });
});
