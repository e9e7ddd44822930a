// AES-256-GCM with a random 96-bit nonce; the 16-byte tag is appended to the ciphertext.
import { createCipheriv, createDecipheriv, randomFillSync } from "node:crypto";

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export interface Sealed {
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/**
 * Nonces are cut from a block of CSPRNG bytes drawn once per 512 replies (one call into OpenSSL
 * instead of one per reply). A block is never refilled: each nonce is its own slice of a fresh
 * block, so no two replies can share one.
 */
const NONCE_BLOCK_BYTES = NONCE_BYTES * 512;
let nonceBlock = Buffer.alloc(0);
let nonceOffset = 0;

function freshNonce(): Buffer {
  if (nonceOffset + NONCE_BYTES > nonceBlock.length) {
    nonceBlock = randomFillSync(Buffer.allocUnsafeSlow(NONCE_BLOCK_BYTES));
    nonceOffset = 0;
  }
  const nonce = nonceBlock.subarray(nonceOffset, nonceOffset + NONCE_BYTES);
  nonceOffset += NONCE_BYTES;
  return nonce;
}

export function aeadSeal(key: Uint8Array, plaintext: Uint8Array, additionalData: Uint8Array): Sealed {
  if (key.length !== KEY_BYTES) throw new RangeError(`AES-256-GCM needs a ${KEY_BYTES}-byte key, got ${key.length}`);
  const nonce = freshNonce();
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(additionalData);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { nonce, ciphertext: body };
}

/**
 * Throws when the key, nonce, additional data or ciphertext do not match (tampering included).
 * The plaintext is the only copy left, in an ArrayBuffer of its own that the caller zeroes: never
 * a slice of Node's shared 8 KiB Buffer pool (as Buffer.concat's would be), which other buffers
 * share and which outlives it.
 */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, additionalData: Uint8Array): Uint8Array {
  if (key.length !== KEY_BYTES) throw new RangeError(`AES-256-GCM needs a ${KEY_BYTES}-byte key, got ${key.length}`);
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`nonce must be ${NONCE_BYTES} bytes, got ${nonce.length}`);
  if (ciphertext.length < TAG_BYTES) throw new RangeError("ciphertext is shorter than its authentication tag");
  const body = ciphertext.subarray(0, ciphertext.length - TAG_BYTES);
  const tag = ciphertext.subarray(ciphertext.length - TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAAD(additionalData);
  decipher.setAuthTag(tag);
  // Buffer.alloc never cuts from the pool; GCM deciphers byte for byte, so the body's length is the plaintext's.
  const plaintext = Buffer.alloc(body.length);
  try {
    moveInto(plaintext, decipher.update(body), 0);
    moveInto(plaintext, decipher.final(), body.length);
    return plaintext;
  } catch (error) {
    // Deciphered but not authenticated: nothing to hand out, nothing to leave behind.
    plaintext.fill(0);
    throw error;
  }
}

/** Copies `part` into `into` at `offset` and zeroes it: the decipher's own output is not left holding plaintext. */
function moveInto(into: Buffer, part: Buffer, offset: number): void {
  try {
    into.set(part, offset);
  } finally {
    part.fill(0);
  }
}
