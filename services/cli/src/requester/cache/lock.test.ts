import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { acquireLock } from "./lock.js";

const options = { staleMs: 60_000, waitMs: 2000, done: () => false };

test("one holder at a time; a waiter gets the lock once it is released", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-lock-"));
  try {
    const first = await acquireLock(dir, "k", options);
    assert.ok(first);
    const waiting = acquireLock(dir, "k", options);
    setTimeout(() => first.release(), 100);
    const second = await waiting;
    assert.ok(second);
    second.release();
    assert.equal(existsSync(path.join(dir, "k.lock")), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a lock whose process is gone, or that is too old, is recovered; done() ends the wait", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-lock-"));
  try {
    // A pid no process has (above the kernel's pid_max).
    writeFileSync(path.join(dir, "dead.lock"), JSON.stringify({ pid: 2 ** 30, at: 0 }));
    const recovered = await acquireLock(dir, "dead", options);
    assert.ok(recovered);
    recovered.release();
    writeFileSync(path.join(dir, "live.lock"), JSON.stringify({ pid: process.pid, at: Date.now() }));
    assert.equal(await acquireLock(dir, "live", { ...options, done: () => true }), undefined);
    const old = await acquireLock(dir, "live", { ...options, staleMs: -1 });
    assert.ok(old);
    old.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
