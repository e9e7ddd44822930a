import { test } from "node:test";
import assert from "node:assert/strict";
import { KMSClient } from "@aws-sdk/client-kms";
import { generateKeyPairSync } from "node:crypto";
import { EnvelopeSealer, type SealedEnvelope } from "./seal.js";
import { generateReplyKeyPair, importReplyPublicKey, openSealedReply as open, prepareSealedReplyKey, ReplyKeyError, sealingKeyFromPem, SealedReplyOpenError, type ReplyKeyPair, type SealedReplyInput, type SealingKey } from "./x25519.js";

const recipient = { tenant: "acme", principal: "batch-job" };
const requestId = "req-sealed-0001";
const clear = { expirationMs: Date.now() + 900_000, assumedRoleArn: "arn:aws:sts::000000000000:assumed-role/r/s", accessKeyId: "ASIAEXAMPLE", sourceIdentity: "acme.batch-job", packedPolicySize: 7 };
// sealWith makes no KMS call; the client is never used.
const sealer = new EnvelopeSealer({ kms: new KMSClient({ region: "us-east-1" }), keyId: "alias/unused" });
const secret = new TextEncoder().encode("the credentials");

function newSealingKey(): SealingKey {
  return sealingKeyFromPem(generateKeyPairSync("x25519").privateKey.export({ format: "pem", type: "pkcs8" }));
}
const fleet = newSealingKey();

function sealTo(pair: ReplyKeyPair, to = recipient, id = requestId, sealing = fleet): SealedEnvelope {
  return sealer.sealWith(prepareSealedReplyKey(to, pair.publicKey, sealing), id, clear, secret);
}

/** Opens as a requester that pins the fleet's sealing key. */
function openSealedReply(envelope: SealedReplyInput, id: string, to: typeof recipient, pair: ReplyKeyPair): Uint8Array {
  return open(envelope, id, to, pair, fleet.publicKey);
}

test("a sealed reply opens with the requester's private key, and carries no KMS fields", () => {
  const pair = generateReplyKeyPair();
  assert.equal(pair.publicKey.length, 32);
  const sealed = sealTo(pair);
  assert.equal(sealed.encryptedDataKey.length, 0);
  assert.equal(sealed.kmsKeyId, "");
  assert.equal(sealed.senderPublicKey?.length, 32);
  assert.equal(Buffer.from(openSealedReply(sealed, requestId, recipient, pair)).toString(), "the credentials");
});

test("another key, another recipient or another request id can not open it", () => {
  const pair = generateReplyKeyPair();
  const sealed = sealTo(pair);
  const other = generateReplyKeyPair();
  assert.throws(() => openSealedReply(sealed, requestId, recipient, other), SealedReplyOpenError);
  // Even with the victim's public key swapped in, the attacker's private key derives another secret.
  assert.throws(() => openSealedReply(sealed, requestId, recipient, { publicKey: pair.publicKey, privateKey: other.privateKey }), SealedReplyOpenError);
  assert.throws(() => openSealedReply(sealed, "req-sealed-0002", recipient, pair), /failed authentication/);
  assert.throws(() => openSealedReply({ ...sealed, encryptionContext: { "credvend:tenant": "acme", "credvend:principal": "other" } }, requestId, { tenant: "acme", principal: "other" }, pair), SealedReplyOpenError);
});

test("a swapped sender key or any altered clear field fails authentication", () => {
  const pair = generateReplyKeyPair();
  const sealed = sealTo(pair);
  const swapped = { ...sealed, senderPublicKey: generateReplyKeyPair().publicKey };
  assert.throws(() => openSealedReply(swapped, requestId, recipient, pair), /failed authentication/);
  for (const change of [{ expirationMs: clear.expirationMs + 1 }, { accessKeyId: "ASIAOTHER" }, { assumedRoleArn: "arn:aws:sts::1:assumed-role/x/y" }, { sourceIdentity: "x" }, { packedPolicySize: 8 }]) {
    assert.throws(() => openSealedReply({ ...sealed, ...change }, requestId, recipient, pair), /failed authentication/, JSON.stringify(change));
  }
});

test("a reply sealed without the pinned sealing key is refused: a forger who saw the request can not reseal", () => {
  const pair = generateReplyKeyPair();
  // The forger knows the requester's public key (it read the request) and has a sealing key of its own.
  const forger = newSealingKey();
  const forged = sealTo(pair, recipient, requestId, forger);
  assert.throws(() => openSealedReply(forged, requestId, recipient, pair), /failed authentication/);
  // Only pinning the forger's key would open it: the pin is what refuses it.
  assert.equal(Buffer.from(open(forged, requestId, recipient, pair, forger.publicKey)).toString(), "the credentials");
});

test("sealing keys: X25519 PEM only", () => {
  assert.equal(fleet.publicKey.length, 32);
  assert.throws(() => sealingKeyFromPem("not a key"), /PEM private key/);
  assert.throws(() => sealingKeyFromPem(generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" })), /ed25519 key, not X25519/);
});

test("a KMS envelope or an unbound version is refused before any key work", () => {
  const pair = generateReplyKeyPair();
  const sealed = sealTo(pair);
  assert.throws(() => openSealedReply({ ...sealed, encryptedDataKey: new Uint8Array([1]) }, requestId, recipient, pair), /KMS envelope/);
  assert.throws(() => openSealedReply({ ...sealed, kmsKeyId: "arn:aws:kms:us-east-1:000000000000:key/k" }, requestId, recipient, pair), /KMS envelope/);
  assert.throws(() => openSealedReply({ ...sealed, binding: 0 }, requestId, recipient, pair), /version 0/);
});

test("low-order, all-zero and mis-sized public keys are refused", () => {
  const lowOrder = [
    new Uint8Array(32),
    Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0)),
    // The order-8 points of Curve25519 (as listed by libsodium's blocklist).
    Buffer.from("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", "hex"),
    Buffer.from("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", "hex"),
    Buffer.from("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "hex"),
  ];
  for (const key of lowOrder) assert.throws(() => importReplyPublicKey(key), ReplyKeyError, Buffer.from(key).toString("hex"));
  assert.throws(() => importReplyPublicKey(new Uint8Array(31)), /32 bytes/);
  assert.throws(() => importReplyPublicKey(new Uint8Array(33)), /32 bytes/);
  assert.throws(() => prepareSealedReplyKey(recipient, new Uint8Array(32), fleet), ReplyKeyError);
  const pair = generateReplyKeyPair();
  assert.throws(() => openSealedReply({ ...sealTo(pair), senderPublicKey: new Uint8Array(32) }, requestId, recipient, pair), /sender public key/);
});

/** The slab of Node's shared 8 KiB Buffer pool that small allocations are cut from now. */
const poolSlab = () => Buffer.from(Buffer.allocUnsafe(1).buffer);

test("reading a sealing key leaves no copy of its PEM in the shared Buffer pool once the caller zeroes its own", () => {
  const text = generateKeyPairSync("x25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  // Buffer.alloc, unlike Buffer.from, never cuts from the pool: the test's own copies are not what it finds there.
  const unpooled = (s: string) => { const b = Buffer.alloc(s.length); b.write(s, "latin1"); return b; };
  const body = unpooled(text.split("\n")[1] ?? "");
  assert.ok(body.length > 40, "the PEM's base64 body line");
  // As the worker reads it: a Buffer of its own (readFileSync), zeroed after the call.
  const asRead = () => unpooled(text);
  for (const pem of [asRead(), new Uint8Array(asRead())]) {
    const slabBefore = poolSlab();
    assert.equal(sealingKeyFromPem(pem).publicKey.length, 32);
    pem.fill(0);
    for (const slab of [slabBefore, poolSlab()]) assert.ok(!slab.includes(body), `a copy of a ${pem.constructor.name} PEM is left in the pool`);
  }
  // A string can not be zeroed, but no further copy of it is left behind either.
  const slabBefore = poolSlab();
  sealingKeyFromPem(text);
  for (const slab of [slabBefore, poolSlab()]) assert.ok(!slab.includes(body), "a copy of a string PEM is left in the pool");
});
