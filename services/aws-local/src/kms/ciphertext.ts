// aws-local's KMS ciphertext blob (opaque to clients, like real KMS's) and its AES-256-GCM sealing.
//
//   offset  size  field
//   0       3     magic "CVK"
//   3       1     format version (1)
//   4       1     key id length L (1..255)
//   5       L     key id, ASCII (so Decrypt works without KeyId)
//   5+L     12    GCM nonce (random)
//   17+L    16    GCM tag
//   33+L    n     ciphertext (n = plaintext length, at most 4096)
//
// Additional data = the 5+L header bytes ‖ canonical encryption context (below), so neither the key id
// nor a single context pair can be changed without failing authentication. Largest blob:
// 33 + 255 + 4096 = 4384 bytes, within KMS's 6144-byte CiphertextBlob limit.

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const MAGIC = Buffer.from("CVK", "ascii");
const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const MAX_KEY_ID_BYTES = 255;

export type EncryptionContext = Readonly<Record<string, string>>;

/** Why a blob was refused; the caller maps every reason to InvalidCiphertextException. */
export class CiphertextError extends Error {
  override readonly name = "CiphertextError";
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/**
 * Length-prefixed encoding of the pairs sorted by key bytes: count, then (len, key, len, value) each.
 * Unlike plain concatenation, {"ab":"c"} and {"a":"bc"} encode differently.
 */
export function encodeEncryptionContext(context: EncryptionContext): Buffer {
  const pairs = Object.entries(context).map(([k, v]) => [Buffer.from(k, "utf8"), Buffer.from(v, "utf8")] as const);
  pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
  const chunks: Buffer[] = [u32(pairs.length)];
  for (const [k, v] of pairs) chunks.push(u32(k.length), k, u32(v.length), v);
  return Buffer.concat(chunks);
}

function header(keyId: string): Buffer {
  const id = Buffer.from(keyId, "ascii");
  if (id.length === 0 || id.length > MAX_KEY_ID_BYTES || id.toString("ascii") !== keyId) {
    throw new RangeError(`key id must be 1-${MAX_KEY_ID_BYTES} ASCII characters`);
  }
  return Buffer.concat([MAGIC, Buffer.from([VERSION, id.length]), id]);
}

export function seal(keyId: string, material: Buffer, plaintext: Buffer, context: EncryptionContext): Buffer {
  const head = header(keyId);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", material, nonce);
  cipher.setAAD(Buffer.concat([head, encodeEncryptionContext(context)]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([head, nonce, cipher.getAuthTag(), body]);
}

export interface ParsedBlob {
  readonly keyId: string;
  readonly blob: Buffer;
  readonly headerLength: number;
}

/** Reads the key id from a blob without decrypting (so the key and its policy can be checked first). */
export function parseBlob(blob: Buffer): ParsedBlob {
  if (blob.length < MAGIC.length + 2 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new CiphertextError("not an aws-local ciphertext blob");
  }
  if (blob[3] !== VERSION) throw new CiphertextError("unsupported ciphertext format version");
  const idLength = blob[4] ?? 0;
  const headerLength = 5 + idLength;
  if (idLength === 0 || blob.length < headerLength + NONCE_BYTES + TAG_BYTES) throw new CiphertextError("ciphertext blob is truncated");
  return { keyId: blob.toString("ascii", 5, headerLength), blob, headerLength };
}

/** Decrypts and authenticates; any tampering or context mismatch throws CiphertextError. */
export function open(parsed: ParsedBlob, material: Buffer, context: EncryptionContext): Buffer {
  const { blob, headerLength } = parsed;
  const nonce = blob.subarray(headerLength, headerLength + NONCE_BYTES);
  const tag = blob.subarray(headerLength + NONCE_BYTES, headerLength + NONCE_BYTES + TAG_BYTES);
  const body = blob.subarray(headerLength + NONCE_BYTES + TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", material, nonce);
  decipher.setAAD(Buffer.concat([blob.subarray(0, headerLength), encodeEncryptionContext(context)]));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new CiphertextError("ciphertext authentication failed");
  }
}
