// Sealed replies for requesters with no AWS identity: the requester sends an ephemeral X25519
// public key; the worker makes an ephemeral key pair of its own, derives an AES-256-GCM key from
// the X25519 shared secret with HKDF-SHA256, and seals the credentials with the same additional
// data as a KMS envelope (bindingData: the request id and every clear field, its own public key
// included). Only the holder of the requester's private key can derive that key.
//
// What this does not give: the requester can not tell which worker sealed the reply (there is no
// worker identity to pin, as the KMS reply key is pinned). Whoever can read the request subject
// and publish on the reply subject could seal credentials of its own choosing; it can never read
// the genuine ones. NATS permissions (generated from the access rules) keep both subjects closed.
import { createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from "node:crypto";
import { aeadOpen, KEY_BYTES } from "./aead.js";
import { bindingData, REPLY_BINDING_VERSION, type ClearFields } from "./binding.js";
import { contextNames, encryptionContextFor, type Recipient } from "./context.js";
import type { PreparedDataKey } from "./seal.js";

export const X25519_KEY_BYTES = 32;

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
function parsePublicKey(raw: Uint8Array): KeyObject {
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

/**
 * HKDF-SHA256 over the shared secret; the salt is both public keys (sender first), the info names
 * the purpose and the recipient, so a key derived for one requester never opens another's reply.
 */
function replyKey(secret: Uint8Array, senderPublicKey: Uint8Array, recipientPublicKey: Uint8Array, recipient: Recipient): Uint8Array {
  const salt = Buffer.concat([senderPublicKey, recipientPublicKey]);
  const info = Buffer.from(`${INFO_LABEL}\u0000${recipient.tenant}\u0000${recipient.principal}`);
  return new Uint8Array(hkdfSync("sha256", secret, salt, info, KEY_BYTES));
}

/**
 * Worker side: the key a reply to `recipient` is sealed with, ready for EnvelopeSealer.sealWith()
 * (which zeroes it). No KMS: `keyId` and the encrypted data key are empty, the worker's ephemeral
 * public key travels in `senderPublicKey` (bound into the additional data like every clear field).
 */
export function prepareSealedReplyKey(recipient: Recipient, recipientPublicKey: Uint8Array): PreparedDataKey {
  const theirs = parsePublicKey(recipientPublicKey);
  const mine = generateKeyPairSync("x25519");
  const senderPublicKey = rawPublicKey(mine.publicKey);
  const secret = sharedSecret(mine.privateKey, theirs);
  try {
    const plaintext = replyKey(secret, senderPublicKey, recipientPublicKey, recipient);
    return { recipient, encryptionContext: encryptionContextFor(recipient), key: { plaintext, encrypted: new Uint8Array(), keyId: "" }, senderPublicKey };
  } finally {
    secret.fill(0);
  }
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
 * Requester side: opens a reply sealed to `keyPair` for `recipient` and `requestId`, with no AWS
 * call at all. Anything else (a KMS envelope, another recipient, an altered clear field, a
 * swapped sender key) is refused.
 */
export function openSealedReply(envelope: SealedReplyInput, requestId: string, recipient: Recipient, keyPair: ReplyKeyPair): Uint8Array {
  if (envelope.binding !== REPLY_BINDING_VERSION) {
    throw new SealedReplyOpenError(`reply binds its clear fields with version ${envelope.binding}; this client accepts only version ${REPLY_BINDING_VERSION}`);
  }
  if (envelope.encryptedDataKey.length > 0 || envelope.kmsKeyId !== "") {
    throw new SealedReplyOpenError("reply is a KMS envelope, but this request asked for a reply sealed to its own key");
  }
  if (!contextNames(envelope.encryptionContext, recipient)) {
    throw new SealedReplyOpenError(`reply names ${JSON.stringify(envelope.encryptionContext)}, not tenant '${recipient.tenant}' principal '${recipient.principal}'`);
  }
  const sender = envelope.senderPublicKey ?? new Uint8Array();
  let secret: Buffer;
  try {
    secret = sharedSecret(keyPair.privateKey, parsePublicKey(sender));
  } catch (cause) {
    throw new SealedReplyOpenError(`reply's sender public key ${cause instanceof Error ? cause.message : "is unusable"}`, { cause });
  }
  const key = replyKey(secret, sender, keyPair.publicKey, recipient);
  secret.fill(0);
  try {
    return aeadOpen(key, envelope.nonce, envelope.ciphertext, bindingData(requestId, envelope));
  } catch (cause) {
    throw new SealedReplyOpenError(`reply ciphertext failed authentication for request '${requestId}' (sealed to another key, altered clear fields, or for another request)`, { cause });
  } finally {
    key.fill(0);
  }
}

