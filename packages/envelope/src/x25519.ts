// Sealed replies for requesters with no AWS identity: the requester sends an ephemeral X25519
// public key; the worker makes an ephemeral key pair of its own and derives an AES-256-GCM key with
// HKDF-SHA256 from two X25519 exchanges with it: its ephemeral key (only this reply) and the
// fleet's static sealing key (only a credvend worker). The credentials are sealed with the same
// additional data as a KMS envelope (bindingData: the request id and every clear field, the
// ephemeral public key included). Only the holder of the requester's private key can derive the
// key, and the requester, which pins the sealing key's public half as a KMS requester pins the
// reply key, accepts only what a holder of the sealing key sealed: a forger who saw the request
// and resealed credentials of its own choosing to the requester's key is refused.
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from "node:crypto";
import { aeadOpen, KEY_BYTES } from "./aead.js";
import { bindingData, REPLY_BINDING_VERSION, type ClearFields } from "./binding.js";
import { contextNames, encryptionContextFor, type Recipient } from "./context.js";
import type { PreparedDataKey } from "./seal.js";
import { clip } from "./clip.js";

export const X25519_KEY_BYTES = 32;

/** The fleet's static X25519 key: its private half on the workers, its public half pinned by requesters. */
export interface SealingKey {
  readonly privateKey: KeyObject;
  /** 32 raw bytes. */
  readonly publicKey: Uint8Array;
}

/**
 * A sealing key from its PKCS#8 PEM (`openssl genpkey -algorithm X25519`). Bytes are read in
 * place, so the caller's zeroing of them leaves no copy; a string is copied once, and zeroed here.
 */
export function sealingKeyFromPem(pem: string | Uint8Array): SealingKey {
  const bytes = pemBytes(pem);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: bytes, format: "pem" });
  } catch (cause) {
    throw new ReplyKeyError("is not a PEM private key (make one with: openssl genpkey -algorithm X25519)", { cause });
  } finally {
    if (typeof pem === "string") bytes.fill(0);
  }
  if (privateKey.asymmetricKeyType !== "x25519") throw new ReplyKeyError(`is a ${privateKey.asymmetricKeyType ?? "unknown"} key, not X25519 (make one with: openssl genpkey -algorithm X25519)`);
  return { privateKey, publicKey: rawPublicKey(createPublicKey(privateKey)) };
}

/**
 * The PEM as a Buffer without a copy in Node's shared pool: Buffer.from(pem), like createPrivateKey
 * given a string, would leave one there that nothing zeroes.
 */
function pemBytes(pem: string | Uint8Array): Buffer {
  if (typeof pem !== "string") return Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength);
  const bytes = Buffer.alloc(Buffer.byteLength(pem, "utf8"));
  bytes.write(pem, "utf8");
  return bytes;
}

/** HKDF info prefix: keys for sealed replies are never keys for anything else. */
const INFO_LABEL = `credvend.v1.sealed-reply.x25519.${REPLY_BINDING_VERSION}`;

/** A public key the worker refuses to seal to, and why. */
export class ReplyKeyError extends Error {
  override readonly name = "ReplyKeyError";
}

/** The requester's per-request key pair. The private half never leaves the requester's memory. */
export interface ReplyKeyPair {
  /** 32 raw bytes, for `CredentialRequest.reply_public_key`. */
  readonly publicKey: Uint8Array;
  readonly privateKey: KeyObject;
}

export function generateReplyKeyPair(): ReplyKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  return { publicKey: rawPublicKey(publicKey), privateKey };
}

/**
 * The key as a KeyObject, or ReplyKeyError when it is not 32 bytes or is a low-order point (all
 * zeros and the other small-subgroup points give a shared secret an attacker knows in advance).
 */
export function importReplyPublicKey(raw: Uint8Array): KeyObject {
  const key = parsePublicKey(raw);
  // A throwaway exchange is the test for a low-order point: the shared secret would be all zeros
  // (OpenSSL refuses to derive it; the explicit check covers a library that does not).
  const probe = generateKeyPairSync("x25519").privateKey;
  sharedSecret(probe, key).fill(0);
  return key;
}

/** The key's shape only; sharedSecret() refuses low-order points when it is used. */
export function parsePublicKey(raw: Uint8Array): KeyObject {
  if (raw.length !== X25519_KEY_BYTES) throw new ReplyKeyError(`must be ${X25519_KEY_BYTES} bytes (a raw X25519 public key), got ${raw.length}`);
  try {
    return createPublicKey({ key: { kty: "OKP", crv: "X25519", x: Buffer.from(raw).toString("base64url") }, format: "jwk" });
  } catch (cause) {
    throw new ReplyKeyError("is not an X25519 public key", { cause });
  }
}

function rawPublicKey(key: KeyObject): Uint8Array {
  const x = key.export({ format: "jwk" }).x;
  if (typeof x !== "string") throw new Error("X25519 public key export has no x");
  return Buffer.from(x, "base64url");
}

function sharedSecret(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  let secret: Buffer;
  try {
    secret = diffieHellman({ privateKey, publicKey });
  } catch (cause) {
    throw new ReplyKeyError("is a low-order X25519 point (the shared secret would be known to anyone)", { cause });
  }
  if (secret.every((b) => b === 0)) throw new ReplyKeyError("is a low-order X25519 point (the shared secret would be known to anyone)");
  return secret;
}

/** The public keys of one sealing, in the order both sides feed them to HKDF. */
interface Parties {
  readonly ephemeral: Uint8Array;
  readonly sealing: Uint8Array;
  readonly recipient: Uint8Array;
}

/**
 * HKDF-SHA256 over both shared secrets (ephemeral, then static); the salt is all three public
 * keys, the info names the purpose and the recipient, so a key derived for one requester never
 * opens another's reply. Zeroes the secrets.
 */
function replyKey(secrets: readonly [Buffer, Buffer], parties: Parties, recipient: Recipient): Uint8Array {
  const ikm = Buffer.concat(secrets);
  for (const s of secrets) s.fill(0);
  const salt = Buffer.concat([parties.ephemeral, parties.sealing, parties.recipient]);
  const info = Buffer.from(`${INFO_LABEL}\u0000${recipient.tenant}\u0000${recipient.principal}`);
  try {
    return new Uint8Array(hkdfSync("sha256", ikm, salt, info, KEY_BYTES));
  } finally {
    ikm.fill(0);
  }
}

/**
 * Worker side: the key a reply to `recipient` is sealed with, ready for EnvelopeSealer.sealWith()
 * (which zeroes it). No KMS: `keyId` and the encrypted data key are empty, the worker's ephemeral
 * public key travels in `senderPublicKey` (bound into the additional data like every clear field).
 */
export function prepareSealedReplyKey(recipient: Recipient, recipientPublicKey: Uint8Array, sealing: SealingKey): PreparedDataKey {
  const theirs = parsePublicKey(recipientPublicKey);
  const mine = generateKeyPairSync("x25519");
  const senderPublicKey = rawPublicKey(mine.publicKey);
  const ephemeralSecret = sharedSecret(mine.privateKey, theirs);
  const staticSecret = sharedSecret(sealing.privateKey, theirs);
  const plaintext = replyKey([ephemeralSecret, staticSecret], { ephemeral: senderPublicKey, sealing: sealing.publicKey, recipient: recipientPublicKey }, recipient);
  return { recipient, encryptionContext: encryptionContextFor(recipient), key: { plaintext, encrypted: new Uint8Array(), keyId: "" }, senderPublicKey };
}

/** What the requester opens: the reply's clear fields and its ciphertext. */
export interface SealedReplyInput extends ClearFields {
  readonly encryptedDataKey: Uint8Array;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly binding: number;
}

/** The envelope is not one this requester's key opens (forged, altered, or for someone else). */
export class SealedReplyOpenError extends Error {
  override readonly name = "SealedReplyOpenError";
}

/**
 * Requester side: opens a reply sealed to `keyPair` for `recipient` and `requestId` by a holder of
 * the sealing key whose public half is `sealingPublicKey`, with no AWS call at all. Anything else
 * (a KMS envelope, another recipient, an altered clear field, a swapped or forged sender key, a
 * reply sealed without the pinned sealing key) is refused.
 */
export function openSealedReply(envelope: SealedReplyInput, requestId: string, recipient: Recipient, keyPair: ReplyKeyPair, sealingPublicKey: Uint8Array): Uint8Array {
  if (envelope.binding !== REPLY_BINDING_VERSION) {
    throw new SealedReplyOpenError(`reply binds its clear fields with version ${envelope.binding}; this client accepts only version ${REPLY_BINDING_VERSION}`);
  }
  if (envelope.encryptedDataKey.length > 0 || envelope.kmsKeyId !== "") {
    throw new SealedReplyOpenError("reply is a KMS envelope, but this request asked for a reply sealed to its own key");
  }
  if (!contextNames(envelope.encryptionContext, recipient)) {
    throw new SealedReplyOpenError(`reply names ${clip(JSON.stringify(envelope.encryptionContext))}, not tenant '${recipient.tenant}' principal '${recipient.principal}'`);
  }
  const sender = envelope.senderPublicKey ?? new Uint8Array();
  let ephemeralSecret: Buffer;
  try {
    ephemeralSecret = sharedSecret(keyPair.privateKey, parsePublicKey(sender));
  } catch (cause) {
    throw new SealedReplyOpenError(`reply's sender public key ${cause instanceof Error ? cause.message : "is unusable"}`, { cause });
  }
  // The pinned key was checked when the client was made; a failure here is a programming error.
  const staticSecret = sharedSecret(keyPair.privateKey, parsePublicKey(sealingPublicKey));
  const key = replyKey([ephemeralSecret, staticSecret], { ephemeral: sender, sealing: sealingPublicKey, recipient: keyPair.publicKey }, recipient);
  try {
    return aeadOpen(key, envelope.nonce, envelope.ciphertext, bindingData(requestId, envelope));
  } catch (cause) {
    throw new SealedReplyOpenError(`reply ciphertext failed authentication for request '${requestId}' (sealed to another key or not with the pinned sealing key, altered clear fields, or for another request)`, { cause });
  } finally {
    key.fill(0);
  }
}

