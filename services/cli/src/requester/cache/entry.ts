// One cache entry: the sealed reply exactly as the worker sent it (never plaintext), its request
// id (bound into the ciphertext) and its expiry, in a 0600 file written atomically (a temp file
// renamed over the old one), so a reader sees a whole entry or none.
import { randomBytes } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface CacheEntry {
  readonly requestId: string;
  readonly expirationMs: number;
  /** The CredentialReply bytes. */
  readonly reply: Uint8Array;
}

const VERSION = 1;

export function entryPath(dir: string, key: string): string {
  return path.join(dir, `${key}.json`);
}

/** The entry, or undefined if there is none or it is unreadable (then it is removed). */
export function readEntry(dir: string, key: string): CacheEntry | undefined {
  const file = entryPath(dir, key);
  let fd: number;
  try {
    // O_NOFOLLOW: a symlink planted in place of an entry is not followed.
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const uid = process.getuid?.();
    if (!st.isFile() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) return discard(file);
    const parsed = JSON.parse(readFileSync(fd, "utf8")) as Partial<{ v: number; requestId: string; expirationMs: number; reply: string }>;
    if (parsed.v !== VERSION || typeof parsed.requestId !== "string" || typeof parsed.expirationMs !== "number" || typeof parsed.reply !== "string") return discard(file);
    return { requestId: parsed.requestId, expirationMs: parsed.expirationMs, reply: Buffer.from(parsed.reply, "base64") };
  } catch {
    return discard(file);
  } finally {
    closeSync(fd);
  }
}

export function writeEntry(dir: string, key: string, entry: CacheEntry): void {
  const file = entryPath(dir, key);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const body = JSON.stringify({ v: VERSION, requestId: entry.requestId, expirationMs: entry.expirationMs, reply: Buffer.from(entry.reply).toString("base64") });
  writeFileSync(tmp, body, { mode: 0o600, flag: "wx" });
  renameSync(tmp, file);
}

export function removeEntry(dir: string, key: string): void {
  rmSync(entryPath(dir, key), { force: true });
}

function discard(file: string): undefined {
  rmSync(file, { force: true });
  return undefined;
}
