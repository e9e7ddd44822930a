// Which reply fields can change what the client returns? Every field of a genuine sealed reply is
// changed in turn (as anyone who may publish on the reply subject can), on the decoded message and
// on the wire (a duplicated field: protobuf keeps the last): each change inside the envelope is
// refused, and the only change outside it that reaches the caller is the documented `replayed`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import type { KMSClient } from "@aws-sdk/client-kms";
import { EnvelopeSealer, generateReplyKeyPair, openSealedReply, prepareSealedReplyKey, sealingKeyFromPem } from "@credvend/envelope";
import { encodeCredentials, encodeSuccessReply, messages, type EncryptedCredentialsInit } from "@credvend/protocol";
import { verifyReply, type ReplyOpener, type VendedCredentials } from "./verify-reply.js";

const recipient = { tenant: "acme", principal: "demo-app" };
const REQUEST_ID = "req-unbound-0001";
const sealing = sealingKeyFromPem(generateKeyPairSync("x25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString());
const pair = generateReplyKeyPair();
const opener: ReplyOpener = { open: async (envelope, id) => openSealedReply(envelope, id, recipient, pair, sealing.publicKey) };

function genuine(): Uint8Array {
  const expirationMs = Date.now() + 3_600_000;
  const sealer = new EnvelopeSealer({ kms: {} as KMSClient, keyId: "" });
  const sealed = sealer.sealWith(prepareSealedReplyKey(recipient, pair.publicKey, sealing), REQUEST_ID,
    { expirationMs, assumedRoleArn: "arn:aws:sts::000000000000:assumed-role/r/genuine", accessKeyId: "ASIAGENUINE00000001", sourceIdentity: "src", packedPolicySize: 7 },
    encodeCredentials({ accessKeyId: "ASIAGENUINE00000001", secretAccessKey: "secret", sessionToken: "token", expirationMs }));
  return encodeSuccessReply(REQUEST_ID, sealed, Date.now());
}

function rewrite(reply: Uint8Array, edit: (c: EncryptedCredentialsInit) => void): Uint8Array {
  const decoded = messages.CredentialReply.decode(reply);
  if (!decoded.credentials) throw new Error("not a credentials reply");
  edit(decoded.credentials);
  return messages.CredentialReply.encode(decoded).finish();
}

async function opened(bytes: Uint8Array): Promise<VendedCredentials | undefined> {
  const verdict = await verifyReply(bytes, REQUEST_ID, opener, Date.now);
  return verdict.kind === "credentials" ? verdict.credentials : undefined;
}

const flip = (b: Uint8Array | null | undefined) => Uint8Array.from(b ?? new Uint8Array(1), (x, i) => (i === 0 ? x ^ 1 : x));

test("every envelope field changed, truncated, extended or dropped is refused", async () => {
  const edits: Record<string, (c: EncryptedCredentialsInit) => void> = {
    kmsKeyId: (c) => (c.kmsKeyId = "arn:aws:kms:us-east-1:000000000000:key/x"),
    encryptionContextValue: (c) => (c.encryptionContext = { ...c.encryptionContext, "credvend:principal": "other-app" }),
    encryptionContextExtra: (c) => (c.encryptionContext = { ...c.encryptionContext, "credvend:template": "t" }),
    nonce: (c) => (c.nonce = flip(c.nonce)),
    nonceTruncated: (c) => (c.nonce = c.nonce?.subarray(0, 11) ?? null),
    ciphertext: (c) => (c.ciphertext = flip(c.ciphertext)),
    ciphertextTruncated: (c) => (c.ciphertext = c.ciphertext?.subarray(0, c.ciphertext.length - 1) ?? null),
    ciphertextExtended: (c) => (c.ciphertext = Uint8Array.from([...(c.ciphertext ?? []), 0])),
    expirationMs: (c) => (c.expirationMs = Number(c.expirationMs) + 3_600_000),
    assumedRoleArn: (c) => (c.assumedRoleArn = "arn:aws:sts::000000000000:assumed-role/r/forged"),
    accessKeyId: (c) => (c.accessKeyId = "ASIAFORGED000000001"),
    sourceIdentity: (c) => (c.sourceIdentity = ""),
    packedPolicySize: (c) => (c.packedPolicySize = 8),
    senderPublicKey: (c) => (c.senderPublicKey = generateReplyKeyPair().publicKey),
    bindingDowngrade: (c) => (c.binding = 0),
    bindingUpgrade: (c) => (c.binding = 2),
    encryptedDataKeyAdded: (c) => (c.encryptedDataKey = Uint8Array.from([1])),
  };
  assert.ok(await opened(genuine()), "the unedited reply opens");
  for (const [name, edit] of Object.entries(edits)) {
    assert.equal(await opened(rewrite(genuine(), edit)), undefined, `${name} changed and still accepted`);
  }
});

test("a duplicated clear field on the wire (the last wins) is refused", async () => {
  // Field 2 (credentials) again, holding only access_key_id (field 8): protobufjs keeps the later
  // message whole, so every other field of the envelope is gone too.
  const extra = messages.EncryptedCredentials.encode({ accessKeyId: "ASIAFORGED000000001" }).finish();
  const dup = Uint8Array.from([...genuine(), 0x12, extra.length, ...extra]);
  assert.equal(await opened(dup), undefined);
});

test("outside the envelope only `replayed` reaches the caller, and it changes nothing else", async () => {
  const bytes = genuine();
  const base = await opened(bytes);
  assert.ok(base);
  const decoded = messages.CredentialReply.decode(bytes);
  decoded.replayed = !decoded.replayed;
  decoded.serverTimeMs = 1;
  const edited = await opened(messages.CredentialReply.encode(decoded).finish());
  assert.ok(edited, "outer fields are not bound: the reply still opens");
  assert.deepEqual({ ...edited, replayed: base.replayed }, base);
});
