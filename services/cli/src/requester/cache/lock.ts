// One request for many parallel callers: the first caller creates `<key>.lock` (O_EXCL) and vends;
// the others wait until the entry it writes appears or the lock goes. A lock whose process is gone
// (killed mid-request) or that is older than any request can take is stale and removed. Two waiters
// that find the same stale lock at the same instant may both vend: two credentials, both valid,
// the last one cached; never a wrong one.
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import { processAlive } from "../../process-alive.js";

export interface HeldLock {
  release(): void;
}

export interface LockOptions {
  /** A lock older than this is stale even if its process still exists (a hung caller). */
  readonly staleMs: number;
  /** Give up waiting after this (the caller then vends without the lock). */
  readonly waitMs: number;
  /** Checked between polls: when it returns true, waiting ends without the lock. */
  readonly done: () => boolean;
}

const POLL_MS = 25;


function stale(file: string, staleMs: number): boolean {
  try {
    const age = Date.now() - statSync(file).mtimeMs;
    const pid = Number(JSON.parse(readFileSync(file, "utf8")).pid);
    return age > staleMs || !Number.isInteger(pid) || !processAlive(pid);
  } catch (error) {
    // Gone meanwhile (not stale: just retry), or half-written by a caller that died between
    // create and write (stale once it is old enough to rule out a writer still at work).
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    try {
      return Date.now() - statSync(file).mtimeMs > 1000;
    } catch {
      return false;
    }
  }
}

function tryCreate(file: string): HeldLock | undefined {
  let fd: number;
  try {
    fd = openSync(file, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return undefined;
    throw error;
  }
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid, at: Date.now() }));
  } finally {
    closeSync(fd);
  }
  return { release: () => rmSync(file, { force: true }) };
}

/** The lock, or undefined when `done()` became true (or the wait ran out) first. */
export async function acquireLock(dir: string, key: string, options: LockOptions): Promise<HeldLock | undefined> {
  const file = path.join(dir, `${key}.lock`);
  const until = Date.now() + options.waitMs;
  for (;;) {
    const held = tryCreate(file);
    if (held) return held;
    if (stale(file, options.staleMs)) {
      rmSync(file, { force: true });
      continue;
    }
    if (options.done() || Date.now() > until) return undefined;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
