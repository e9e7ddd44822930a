// KMS through the unmodified @aws-sdk/client-kms against a running aws-local with the dev seed.

import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  InvalidCiphertextException,
  ListAliasesCommand,
  NotFoundException,
  DisabledException,
  ReEncryptCommand,
} from "@aws-sdk/client-kms";
import { DEV_REPLY_KEY_ALIAS, DEV_REPLY_KEY_ID, DEV_SEED } from "../dev-seed.js";
import { kmsClient, sdkError, startQuiet, TEST_REGION } from "../testing/harness.js";

type Local = Awaited<ReturnType<typeof startQuiet>>;
const REPLY_KEY_ARN = `arn:aws:kms:${TEST_REGION}:000000000000:key/${DEV_REPLY_KEY_ID}`;
const CONTEXT = { "credvend:tenant": "acme", "credvend:principal": "demo-app" };

describe("KMS through @aws-sdk/client-kms", () => {
  let local: Local;
  before(async () => {
    local = await startQuiet({ region: TEST_REGION });
  });
  after(async () => local.stop());
  beforeEach(async () => local.admin.reset());

  it("seals a data key for demo-app that only demo-app can open", async () => {
    const dk = await kmsClient(local, "credvend-vendor").send(
      new GenerateDataKeyCommand({ KeyId: DEV_REPLY_KEY_ALIAS, KeySpec: "AES_256", EncryptionContext: CONTEXT }),
    );
    assert.equal(dk.KeyId, REPLY_KEY_ARN);
    assert.equal(dk.Plaintext?.length, 32);
    assert.ok(dk.CiphertextBlob instanceof Uint8Array);

    const opened = await kmsClient(local, "demo-app").send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: CONTEXT }));
    assert.deepEqual(opened.Plaintext, dk.Plaintext);
    assert.equal(opened.KeyId, REPLY_KEY_ARN);

    const denied = await sdkError(() =>
      kmsClient(local, "other-app").send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: CONTEXT })),
    );
    assert.equal(denied.name, "AccessDeniedException");
    assert.equal(denied.$metadata?.httpStatusCode, 400);

    const wrongContext = await sdkError(() =>
      kmsClient(local, "demo-app").send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: { ...CONTEXT, "credvend:tenant": "globex" } })),
    );
    assert.ok(wrongContext instanceof InvalidCiphertextException, wrongContext.name);
  });

  it("describes the reply key for the vendor, with SDK-parsed dates", async () => {
    const out = await kmsClient(local, "credvend-vendor").send(new DescribeKeyCommand({ KeyId: DEV_REPLY_KEY_ALIAS }));
    assert.equal(out.KeyMetadata?.Arn, REPLY_KEY_ARN);
    assert.equal(out.KeyMetadata?.KeyState, "Enabled");
    assert.ok(out.KeyMetadata?.CreationDate instanceof Date);
    assert.ok(Math.abs((out.KeyMetadata?.CreationDate?.getTime() ?? 0) - Date.now()) < 3_600_000);
  });

  it("CreateKey and ListAliases need an IAM Allow: the dev requester has none", async () => {
    for (const send of [() => kmsClient(local, "demo-app").send(new CreateKeyCommand({})), () => kmsClient(local, "demo-app").send(new ListAliasesCommand({}))]) {
      const err = await sdkError(send);
      assert.equal(err.name, "AccessDeniedException");
      assert.match(err.message, /because no identity-based policy allows/);
    }
  });

  it("creates a key and alias, encrypts, re-encrypts, disables and lists", async () => {
    // A key administrator whose IAM policy allows kms:* (the default key policy delegates to IAM).
    const admin = { accessKeyId: "AKIATESTONLYKMSADMIN", secretAccessKey: "test-only/kms-admin/NOT-A-REAL-KEY-00000" };
    const seed = {
      ...DEV_SEED,
      users: [
        ...DEV_SEED.users,
        {
          name: "kms-admin",
          path: "/",
          tags: {},
          mfa_devices: [],
          access_keys: [{ access_key_id: admin.accessKeyId, secret_access_key: admin.secretAccessKey }],
          policies: [{ name: "kms-admin", document: { Version: "2012-10-17", Statement: [{ Effect: "Allow" as const, Action: "kms:*", Resource: "*" }] } }],
        },
      ],
    };
    const adminLocal = await startQuiet({ region: TEST_REGION, seed });
    after(() => adminLocal.stop());
    const kms = kmsClient(adminLocal, admin);
    const created = await kms.send(new CreateKeyCommand({ Description: "sdk test" }));
    const keyId = created.KeyMetadata?.KeyId ?? "";
    await kms.send(new CreateAliasCommand({ AliasName: "alias/sdk-test", TargetKeyId: keyId }));
    const enc = await kms.send(new EncryptCommand({ KeyId: "alias/sdk-test", Plaintext: Buffer.from("hello"), EncryptionContext: { a: "1" } }));
    const re = await kms.send(
      new ReEncryptCommand({ CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: { a: "1" }, DestinationKeyId: keyId, DestinationEncryptionContext: { b: "2" } }),
    );
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { b: "2" }, KeyId: "alias/sdk-test" }));
    assert.equal(Buffer.from(dec.Plaintext ?? []).toString(), "hello");

    const np = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keyId, NumberOfBytes: 24 }));
    assert.equal("Plaintext" in np, false);
    assert.ok((np.CiphertextBlob?.length ?? 0) > 24);

    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    const disabled = await sdkError(() => kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") })));
    assert.ok(disabled instanceof DisabledException, disabled.name);
    await kms.send(new EnableKeyCommand({ KeyId: keyId }));

    const aliases = await kms.send(new ListAliasesCommand({ KeyId: keyId }));
    assert.deepEqual(aliases.Aliases?.map((a) => a.AliasName), ["alias/sdk-test"]);
    assert.ok(aliases.Aliases?.[0]?.CreationDate instanceof Date);
  });

  it("maps errors to the SDK's modelled exceptions", async () => {
    const missing = await sdkError(() => kmsClient(local, "demo-app").send(new DescribeKeyCommand({ KeyId: "alias/does-not-exist" })));
    assert.ok(missing instanceof NotFoundException, missing.name);
    const tooBig = await sdkError(() => kmsClient(local, "demo-app").send(new EncryptCommand({ KeyId: DEV_REPLY_KEY_ALIAS, Plaintext: Buffer.alloc(4097) })));
    assert.equal(tooBig.name, "ValidationException");
    assert.match(tooBig.message, /Member must have length less than or equal to 4096/);
  });
});
