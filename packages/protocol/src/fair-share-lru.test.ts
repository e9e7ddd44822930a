import { test } from "node:test";
import assert from "node:assert/strict";
import { FairShareLru, FairShares } from "./fair-share-lru.js";

test("the key that leaves is the oldest of whoever holds the most; alone, a holder may hold everything", () => {
  const shares = new FairShares();
  for (const k of ["q0", "q1"]) shares.add(k, "quiet");
  for (const k of ["f0", "f1", "f2"]) shares.add(k, "flood");
  assert.equal(shares.victim(), "f0");
  shares.delete("f0");
  shares.delete("f1");
  assert.equal(shares.victim(), "q0", "ties go to the holder seen first");
  shares.add("q0", "quiet");
  assert.equal(shares.victim(), "q1", "adding a key again makes it its holder's newest");
  const alone = new FairShares();
  alone.add("a", "x");
  assert.equal(alone.victim(), "a");
  alone.delete("a");
  assert.equal(alone.victim(), undefined);
  assert.equal(alone.size, 0);
});

test("a bounded map on that rule: a flooding holder evicts only its own values", () => {
  const lru = new FairShareLru<number>(10);
  for (let n = 0; n < 3; n += 1) lru.set(`quiet:${n}`, "quiet", n);
  for (let n = 0; n < 100; n += 1) lru.set(`flood:${n}`, "flood", n);
  assert.equal(lru.size, 10);
  for (let n = 0; n < 3; n += 1) assert.equal(lru.get(`quiet:${n}`), n, "the quiet holder's values stay");
  assert.equal(lru.get("flood:99"), 99);
  assert.equal(lru.get("flood:92"), undefined, "the flooder's oldest left");
  // Reading a value makes it its holder's most recently used.
  const small = new FairShareLru<number>(2);
  small.set("a", "t", 1);
  small.set("b", "t", 2);
  small.get("a");
  small.set("c", "t", 3);
  assert.equal(small.get("b"), undefined);
  assert.equal(small.get("a"), 1);
  small.delete("a");
  small.set("d", "t", 4);
  assert.equal(small.size, 2, "bookkeeping follows deletes");
  small.clear();
  assert.equal(small.size, 0);
  assert.throws(() => new FairShareLru<number>(0), RangeError);
});
