// Identifier and secret generation. Issued keys look like AWS's: ASIA + 16 of [A-Z2-7].
import { createHash, randomFillSync } from "node:crypto";

/**
 * CSPRNG bytes for issued ids and secrets, cut from a block drawn once per 16 KiB (one call into
 * OpenSSL per ~50 sessions instead of three per session). Every slice is used once; a block is
 * never refilled in place, so no two secrets share bytes.
 */
const POOL_BYTES = 16 * 1024;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function randomBytes(n: number): Buffer {
  if (n > POOL_BYTES) return randomFillSync(Buffer.allocUnsafe(n));
  if (poolOffset + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32Chars(bytes: Buffer, count: number): string {
  let out = "";
  for (let i = 0; i < count; i++) out += BASE32[(bytes[i] ?? 0) & 31];
  return out;
}

export function newTemporaryAccessKeyId(): string {
  return `ASIA${base32Chars(randomBytes(16), 16)}`;
}

/** 40 characters, like AWS secret access keys (base64 alphabet, so it may contain + and /). */
export function newSecretAccessKey(): string {
  return randomBytes(30).toString("base64");
}

/**
 * Opaque and a few hundred characters, as AWS's are; clients must not assume a format. At least
 * `minimumChars` long when a caller asked for a MinimumSessionTokenSize (base64: 4 characters per 3 bytes).
 */
export function newSessionToken(minimumChars = 0): string {
  return randomBytes(Math.max(264, Math.ceil((minimumChars * 3) / 4))).toString("base64");
}

/**
 * Stable unique ids for seeded users (AIDA…) and roles (AROA…): derived from account and name so
 * they stay the same across restarts, like a real account's ids do.
 */
export function stableUniqueId(prefix: "AIDA" | "AROA", accountId: string, name: string): string {
  const digest = createHash("sha256").update(`${prefix}:${accountId}:${name}`).digest();
  return `${prefix}${base32Chars(digest, 17)}`;
}
