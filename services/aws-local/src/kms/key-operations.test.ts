import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allow, FIXTURE_PRINCIPALS, userCaller } from "../iam/fixture-callers.js";
import { b64, call, failure, OPEN_KEY_ID, REPLIES_KEY_ARN, REPLIES_KEY_ID, testKms } from "./fixture-service.js";

// With root delegation the IAM policy must allow too: these tests give it, so the key policy decides.
const demoApp = userCaller("demo-app", { identityPolicies: [allow("kms:*")] });
const vendor = userCaller("credvend-vendor", { identityPolicies: [allow("kms:*")] });
const NOW = Date.UTC(2026, 10, 29, 12);

describe("CreateKey / DescribeKey", () => {
  it("creates a usable symmetric key with the default policy and full KeyMetadata", async () => {
    const kms = testKms();
    const created = await call(kms, "CreateKey", { Description: "scratch", Tags: [{ TagKey: "team", TagValue: "blue" }] }, demoApp);
    const meta = created["KeyMetadata"] as Record<string, unknown>;
    assert.match(meta["KeyId"] as string, /^[0-9a-f-]{36}$/);
    assert.equal(meta["Arn"], `arn:aws:kms:eu-west-1:000000000000:key/${meta["KeyId"]}`);
    assert.deepEqual(
      { ...meta, KeyId: undefined, Arn: undefined, CurrentKeyMaterialId: undefined },
      {
        AWSAccountId: "000000000000",
        KeyId: undefined,
        Arn: undefined,
        CreationDate: NOW / 1000,
        Enabled: true,
        Description: "scratch",
        KeyUsage: "ENCRYPT_DECRYPT",
        KeyState: "Enabled",
        Origin: "AWS_KMS",
        KeyManager: "CUSTOMER",
        CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
        KeySpec: "SYMMETRIC_DEFAULT",
        EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
        MultiRegion: false,
        CurrentKeyMaterialId: undefined,
      },
    );
    const enc = await call(kms, "Encrypt", { KeyId: meta["KeyId"], Plaintext: b64("x") }, vendor);
    assert.equal((await call(kms, "Decrypt", { CiphertextBlob: enc["CiphertextBlob"] }, demoApp))["Plaintext"], b64("x"));
    const described = await call(kms, "DescribeKey", { KeyId: meta["Arn"] }, demoApp);
    assert.deepEqual(described["KeyMetadata"], meta);
  });

  it("enforces a given key policy and rejects malformed ones", async () => {
    const kms = testKms();
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: demoApp.arn }, Action: "kms:*", Resource: "*" }],
    });
    const meta = (await call(kms, "CreateKey", { Policy: policy }, demoApp))["KeyMetadata"] as Record<string, unknown>;
    await call(kms, "Encrypt", { KeyId: meta["KeyId"], Plaintext: b64("x") }, demoApp);
    assert.equal((await failure(kms, "Encrypt", { KeyId: meta["KeyId"], Plaintext: b64("x") }, vendor)).code, "AccessDeniedException");
    for (const bad of ["{not json", JSON.stringify({ Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] })]) {
      assert.equal((await failure(kms, "CreateKey", { Policy: bad }, demoApp)).code, "MalformedPolicyDocumentException");
    }
  });

  it("refuses key types aws-local does not emulate", async () => {
    const kms = testKms();
    for (const input of [{ KeySpec: "RSA_2048" }, { KeyUsage: "SIGN_VERIFY" }, { Origin: "EXTERNAL" }, { MultiRegion: true }]) {
      assert.equal((await failure(kms, "CreateKey", input, demoApp)).code, "UnsupportedOperationException", JSON.stringify(input));
    }
    assert.equal((await failure(kms, "CreateKey", { KeySpec: "NOPE" }, demoApp)).code, "ValidationException");
  });

  it("DescribeKey is governed by the key policy", async () => {
    const kms = testKms();
    const meta = (await call(kms, "DescribeKey", { KeyId: "alias/credvend-replies" }, vendor))["KeyMetadata"] as Record<string, unknown>;
    assert.equal(meta["Arn"], REPLIES_KEY_ARN);
    assert.equal((await failure(kms, "DescribeKey", { KeyId: "alias/credvend-replies" }, demoApp)).code, "AccessDeniedException");
  });

  it("seeded keys without material decrypt blobs across restarts", async () => {
    const first = testKms();
    const enc = await call(first, "Encrypt", { KeyId: "alias/open", Plaintext: b64("persist") }, demoApp);
    const second = testKms();
    assert.equal((await call(second, "Decrypt", { CiphertextBlob: enc["CiphertextBlob"] }, demoApp))["Plaintext"], b64("persist"));
  });
});

describe("key state", () => {
  it("ScheduleKeyDeletion / CancelKeyDeletion", async () => {
    const kms = testKms();
    const scheduled = await call(kms, "ScheduleKeyDeletion", { KeyId: OPEN_KEY_ID, PendingWindowInDays: 7 }, demoApp);
    assert.equal(scheduled["KeyState"], "PendingDeletion");
    assert.equal(scheduled["DeletionDate"], NOW / 1000 + 7 * 86400);
    const encrypting = await failure(kms, "Encrypt", { KeyId: "alias/open", Plaintext: b64("x") }, demoApp);
    assert.deepEqual([encrypting.code, encrypting.status], ["KMSInvalidStateException", 409]);
    assert.equal((await failure(kms, "EnableKey", { KeyId: OPEN_KEY_ID }, demoApp)).code, "KMSInvalidStateException");
    await call(kms, "CancelKeyDeletion", { KeyId: OPEN_KEY_ID }, demoApp);
    const meta = (await call(kms, "DescribeKey", { KeyId: OPEN_KEY_ID }, demoApp))["KeyMetadata"] as Record<string, unknown>;
    assert.equal(meta["KeyState"], "Disabled");
    assert.equal(meta["DeletionDate"], undefined);
    assert.equal((await failure(kms, "ScheduleKeyDeletion", { KeyId: OPEN_KEY_ID, PendingWindowInDays: 3 }, demoApp)).code, "ValidationException");
  });
});

describe("aliases", () => {
  it("CreateAlias validates names and targets", async () => {
    const kms = testKms();
    const cases: [unknown, string][] = [
      [{ AliasName: "alias/aws/s3", TargetKeyId: OPEN_KEY_ID }, "InvalidAliasNameException"],
      [{ AliasName: "my-alias", TargetKeyId: OPEN_KEY_ID }, "InvalidAliasNameException"],
      [{ AliasName: "alias/has space", TargetKeyId: OPEN_KEY_ID }, "ValidationException"],
      [{ AliasName: `alias/${"a".repeat(251)}`, TargetKeyId: OPEN_KEY_ID }, "ValidationException"],
      [{ AliasName: "alias/new", TargetKeyId: "alias/open" }, "ValidationException"],
      [{ AliasName: "alias/new", TargetKeyId: "11111111-1111-1111-1111-111111111111" }, "NotFoundException"],
      [{ AliasName: "alias/new" }, "ValidationException"],
    ];
    for (const [input, code] of cases) assert.equal((await failure(kms, "CreateAlias", input, demoApp)).code, code, JSON.stringify(input));
    const duplicate = await failure(kms, "CreateAlias", { AliasName: "alias/open", TargetKeyId: OPEN_KEY_ID }, demoApp);
    assert.deepEqual([duplicate.code, duplicate.status], ["AlreadyExistsException", 409]);
  });

  it("a new alias names its key everywhere; ListAliases pages and filters", async () => {
    const kms = testKms();
    const reply = await kms.handle("CreateAlias", { AliasName: "alias/zz-new", TargetKeyId: `arn:aws:kms:eu-west-1:000000000000:key/${OPEN_KEY_ID}` }, demoApp);
    assert.deepEqual(reply, { status: 200, body: {} });
    await call(kms, "Encrypt", { KeyId: "alias/zz-new", Plaintext: b64("x") }, demoApp);

    const all = await call(kms, "ListAliases", {}, demoApp);
    assert.deepEqual((all["Aliases"] as { AliasName: string }[]).map((a) => a.AliasName), ["alias/credvend-replies", "alias/open", "alias/zz-new"]);
    assert.equal(all["Truncated"], false);
    const first = (all["Aliases"] as Record<string, unknown>[])[0];
    assert.deepEqual(first, {
      AliasName: "alias/credvend-replies",
      AliasArn: "arn:aws:kms:eu-west-1:000000000000:alias/credvend-replies",
      TargetKeyId: REPLIES_KEY_ID,
      CreationDate: NOW / 1000,
      LastUpdatedDate: NOW / 1000,
    });

    const page1 = await call(kms, "ListAliases", { Limit: 2 }, demoApp);
    assert.equal(page1["Truncated"], true);
    const page2 = await call(kms, "ListAliases", { Limit: 2, Marker: page1["NextMarker"] }, demoApp);
    assert.deepEqual((page2["Aliases"] as { AliasName: string }[]).map((a) => a.AliasName), ["alias/zz-new"]);
    assert.equal((await failure(kms, "ListAliases", { Marker: "bogus" }, demoApp)).code, "InvalidMarkerException");

    const forKey = await call(kms, "ListAliases", { KeyId: OPEN_KEY_ID }, demoApp);
    assert.deepEqual((forKey["Aliases"] as { AliasName: string }[]).map((a) => a.AliasName), ["alias/open", "alias/zz-new"]);
  });
});

describe("service", () => {
  it("throws UnknownOperationException for operations it doesn't implement", async () => {
    const error = await failure(testKms(), "Sign", {}, demoApp);
    assert.deepEqual([error.code, error.status], ["UnknownOperationException", 400]);
  });

  it("counts calls per operation, failures included, and reset clears state and counts", async () => {
    const kms = testKms();
    await call(kms, "CreateKey", {}, demoApp);
    await call(kms, "CreateAlias", { AliasName: "alias/tmp", TargetKeyId: OPEN_KEY_ID }, demoApp);
    await failure(kms, "Encrypt", { KeyId: "alias/nope", Plaintext: b64("x") }, demoApp);
    assert.deepEqual(kms.callCounts(), { CreateKey: 1, CreateAlias: 1, Encrypt: 1 });
    kms.reset();
    assert.deepEqual(kms.callCounts(), {});
    assert.equal((await failure(kms, "DescribeKey", { KeyId: "alias/tmp" }, demoApp)).code, "NotFoundException");
    await call(kms, "DescribeKey", { KeyId: "alias/open" }, demoApp);
  });

  it("rejects a bad seed at creation with a clear message", async () => {
    const { createKmsService } = await import("./service.js");
    const { evaluatePolicies } = await import("../iam/evaluate.js");
    const make = (keys: Parameters<typeof createKmsService>[0]["keys"][number]["keys"]) =>
      createKmsService({ keys: [{ accountId: "000000000000", keys }], region: "eu-west-1", clock: { now: Date.now }, evaluate: evaluatePolicies, principals: FIXTURE_PRINCIPALS });
    assert.throws(() => make([{ id: "k", material: "c2hvcnQ=" }]), /base64 of exactly 32 bytes/);
    assert.throws(() => make([{ id: "k", aliases: ["nope"] }]), /invalid alias/);
    assert.throws(() => make([{ id: "a", aliases: ["alias/x"] }, { id: "b", aliases: ["alias/x"] }]), /used twice/);
  });
});
