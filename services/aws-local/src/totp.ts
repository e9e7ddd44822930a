// RFC 6238 TOTP (HMAC-SHA-1, 30-second steps, 6 digits), the algorithm of AWS virtual MFA devices.
import { createHmac, timingSafeEqual } from "node:crypto";

const STEP_SECONDS = 30;
const DIGITS = 6;

export function base32Decode(input: string): Buffer {
  const clean = input.replace(/=+$/, "").toUpperCase();
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const idx = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".indexOf(ch);
    if (idx < 0) throw new Error("TOTP secret is not base32 (A-Z, 2-7)");
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** The 6-digit code for `timeMs` (epoch milliseconds). Tests use it with the emulator's clock. */
export function totp(secretBase32: string, timeMs: number): string {
  return codeForCounter(base32Decode(secretBase32), Math.floor(timeMs / 1000 / STEP_SECONDS));
}

/** The 30-second step number of `timeMs` (RFC 6238 T). */
export function totpStep(timeMs: number): number {
  return Math.floor(timeMs / 1000 / STEP_SECONDS);
}

/**
 * The step whose code `code` is, among the current step and one either side (AWS tolerates small
 * device drift), or undefined. Callers that accept codes must also refuse a step used before.
 */
export function matchTotpStep(secretBase32: string, code: string, timeMs: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const key = base32Decode(secretBase32);
  const counter = totpStep(timeMs);
  const given = Buffer.from(code);
  let matched: number | undefined;
  for (const delta of [-1, 0, 1]) {
    // No early exit: every candidate is compared, in constant time.
    if (timingSafeEqual(Buffer.from(codeForCounter(key, counter + delta)), given)) matched ??= counter + delta;
  }
  return matched;
}

/** Accepts the current step and one step either side (no replay memory; see matchTotpStep). */
export function verifyTotp(secretBase32: string, code: string, timeMs: number): boolean {
  return matchTotpStep(secretBase32, code, timeMs) !== undefined;
}

function codeForCounter(key: Buffer, counter: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", key).update(msg).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** DIGITS).padStart(DIGITS, "0");
}
