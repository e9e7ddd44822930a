// The requester's opener calls KMS Decrypt, with the requester's own permissions, on whatever blob
// a reply carries. Against aws-local and the unmodified KMS client: a blob that is not a data key
// (made with kms:Encrypt, which a misconfigured key policy grants here: the dev seed's grants the
// vendor only GenerateDataKey and DescribeKey, all a worker calls) is refused and
// not kept; no requester may make a data key (or any ciphertext) under the reply key for another,
// which is what would let it seal credentials another requester accepts; and a genuine data key
// for one principal never opens under another's context.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { DEV_REPLY_KEY_ALIAS, DEV_REPLY_KEY_ID, DEV_SEED, devCredentials, startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { EnvelopeOpenError, EnvelopeOpener, EnvelopeSealer, encryptionContextFor, type IssuedClearFields } from "@credvend/envelope";
import { REGION, REPLY_KEY_ARN } from "./support/harness.js";

const victim = { tenant: "acme", principal: "demo-app" };
const clear: IssuedClearFields = { expirationMs: Date.now() + 3_600_000, assumedRoleArn: "arn:aws:sts::000000000000:assumed-role/r/s", accessKeyId: "ASIAEXAMPLE", sourceIdentity: "", packedPolicySize: 1 };
let local: AwsLocal;
const clients: KMSClient[] = [];
let decrypts = 0;

/** A KMS client as `user`; the requester's counts its Decrypt calls (a middleware, the SDK itself untouched). */
function kmsAs(user: string, count = false): KMSClient {
  const kms = new KMSClient({ region: REGION, endpoint: local.endpoint, credentials: devCredentials(user) });
  if (count) {
    kms.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === "DecryptCommand") decrypts += 1;
      return next(args);
    }, { step: "initialize" });
  }
  clients.push(kms);
  return kms;
}

/** The dev seed, with a reply key policy that also lets the vendor identity call kms:Encrypt (a mistake an operator could make). */
function seedWithEncryptGrant(): typeof DEV_SEED {
  const grant = { Sid: "MisconfiguredEncrypt", Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:user/credvend-vendor" }, Action: "kms:Encrypt", Resource: "*" } as const;
  return {
    ...DEV_SEED,
    kms_keys: DEV_SEED.kms_keys.map((k) => {
      if (k.id !== DEV_REPLY_KEY_ID || k.policy === undefined) return k;
      const statements = Array.isArray(k.policy.Statement) ? k.policy.Statement : [k.policy.Statement];
      return { ...k, policy: { ...k.policy, Statement: [...statements, grant] } };
    }),
  };
}

before(async () => {
  local = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined, seed: seedWithEncryptGrant() });
});
after(async () => {
  for (const k of clients) k.destroy();
  await local?.stop();
});

test("a blob under the reply key and the victim's context that is not a data key is refused, and never kept", async () => {
  const vendor = kmsAs("credvend-vendor");
  // Not a data key: 16 bytes someone with kms:Encrypt chose (a key of their own, a secret, anything).
  const chosen = await vendor.send(new EncryptCommand({ KeyId: DEV_REPLY_KEY_ALIAS, Plaintext: new Uint8Array(16).fill(7), EncryptionContext: encryptionContextFor(victim) }));
  const genuine = await new EnvelopeSealer({ kms: vendor, keyId: DEV_REPLY_KEY_ALIAS }).seal(victim, "req-deputy-01", clear, new TextEncoder().encode("x"));
  const forged = { ...genuine, encryptedDataKey: chosen.CiphertextBlob ?? new Uint8Array() };
  const opener = new EnvelopeOpener({ kms: kmsAs("demo-app", true), recipient: victim, keyArn: REPLY_KEY_ARN });
  decrypts = 0;
  for (let i = 0; i < 2; i += 1) {
    await assert.rejects(opener.open(forged, "req-deputy-01"), (e: unknown) => e instanceof EnvelopeOpenError && /not a 32-byte AES-256 data key/.test(e.message) && !/\b16\b/.test(e.message));
  }
  assert.equal(decrypts, 2, "the refused plaintext was not cached for the next reply");
  // The genuine envelope still opens with the same opener.
  assert.equal(new TextDecoder().decode(await opener.open(genuine, "req-deputy-01")), "x");
});

test("a requester can neither generate a data key nor encrypt under the reply key, for anyone's context", async () => {
  for (const user of ["demo-app", "other-app"]) {
    const kms = kmsAs(user);
    for (const context of [encryptionContextFor(victim), encryptionContextFor({ tenant: "acme", principal: user })]) {
      await assert.rejects(kms.send(new GenerateDataKeyCommand({ KeyId: REPLY_KEY_ARN, KeySpec: "AES_256", EncryptionContext: context })), (e: unknown) => e instanceof Error && e.name === "AccessDeniedException", `${user} GenerateDataKey`);
      await assert.rejects(kms.send(new EncryptCommand({ KeyId: REPLY_KEY_ARN, Plaintext: new Uint8Array(32), EncryptionContext: context })), (e: unknown) => e instanceof Error && e.name === "AccessDeniedException", `${user} Encrypt`);
    }
  }
});

test("a data key made for one principal does not decrypt under another principal's context, with either identity", async () => {
  const dk = await kmsAs("credvend-vendor").send(new GenerateDataKeyCommand({ KeyId: DEV_REPLY_KEY_ALIAS, KeySpec: "AES_256", EncryptionContext: encryptionContextFor(victim) }));
  dk.Plaintext?.fill(0);
  const other = kmsAs("other-app");
  // Its own context: the blob was made for demo-app, so KMS refuses (the context is part of the ciphertext).
  await assert.rejects(other.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, KeyId: REPLY_KEY_ARN, EncryptionContext: encryptionContextFor({ tenant: "acme", principal: "other-app" }) })),
    (e: unknown) => e instanceof Error && e.name === "InvalidCiphertextException");
  // The victim's context: the key policy binds the context to the caller's own name.
  await assert.rejects(other.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, KeyId: REPLY_KEY_ARN, EncryptionContext: encryptionContextFor(victim) })),
    (e: unknown) => e instanceof Error && e.name === "AccessDeniedException");
});
