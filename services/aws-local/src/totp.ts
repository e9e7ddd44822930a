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

/** Accepts the current step and one step either side (AWS tolerates small device drift). */
export function verifyTotp(secretBase32: string, code: string, timeMs: number): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  const key = base32Decode(secretBase32);
  const counter = Math.floor(timeMs / 1000 / STEP_SECONDS);
  const given = Buffer.from(code);
  let ok = false;
  for (const delta of [-1, 0, 1]) {
    // No early exit: every candidate is compared, in constant time.
    if (timingSafeEqual(Buffer.from(codeForCounter(key, counter + delta)), given)) ok = true;
  }
  return ok;
}

function codeForCounter(key: Buffer, counter: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", key).update(msg).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** DIGITS).padStart(DIGITS, "0");
}
