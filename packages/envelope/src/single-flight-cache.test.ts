import { test } from "node:test";
import assert from "node:assert/strict";
import { SingleFlightCache } from "./single-flight-cache.js";

interface Box { readonly n: number }

test("callers that arrive while a load runs share it: one load, one 'loaded', the rest 'joined'", async () => {
  const cache = new SingleFlightCache<Box>({ maxEntries: 10 });
  let loads = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const load = async () => { loads += 1; await gate; return { n: loads }; };
  const all = Promise.all(Array.from({ length: 20 }, () => cache.obtain("k", load, { ttlMs: () => 1000 })));
  release();
  const results = await all;
  assert.equal(loads, 1);
  assert.deepEqual(results.map((r) => r.source).sort(), ["loaded", ...Array<string>(19).fill("joined")].sort());
  assert.equal((await cache.obtain("k", load, { ttlMs: () => 1000 })).source, "cached");
});

test("a failed load reaches every waiting caller and is not cached", async () => {
  const cache = new SingleFlightCache<Box>({ maxEntries: 10 });
  let loads = 0;
  const failing = async () => { loads += 1; throw new Error("denied"); };
  const results = await Promise.allSettled([cache.obtain("k", failing, { ttlMs: () => 1000 }), cache.obtain("k", failing, { ttlMs: () => 1000 })]);
  assert.deepEqual(results.map((r) => r.status), ["rejected", "rejected"]);
  assert.equal(loads, 1);
  const next = await cache.obtain("k", async () => ({ n: 7 }), { ttlMs: () => 1000 });
  assert.deepEqual(next, { value: { n: 7 }, source: "loaded" });
});

test("values expire by their own ttl on the injected clock, and are refused when not usable", async () => {
  let now = 0;
  const cache = new SingleFlightCache<Box>({ maxEntries: 10, now: () => now });
  await cache.obtain("k", async () => ({ n: 1 }), { ttlMs: (v) => v.n * 100 });
  now = 99;
  assert.equal(cache.peek("k")?.n, 1);
  now = 101;
  assert.equal(cache.peek("k"), undefined, "expired after 100 ms");
  await cache.obtain("k", async () => ({ n: 2 }), { ttlMs: () => 1000 });
  const refused = await cache.obtain("k", async () => ({ n: 3 }), { ttlMs: () => 1000, usable: (v) => v.n > 2 });
  assert.deepEqual(refused, { value: { n: 3 }, source: "loaded" });
  await cache.obtain("zero", async () => ({ n: 4 }), { ttlMs: () => 0 });
  assert.equal(cache.peek("zero"), undefined, "a ttl of 0 keeps nothing");
});

test("memory is bounded: the least recently used value leaves, through onEvict", async () => {
  const evicted: number[] = [];
  const cache = new SingleFlightCache<Box>({ maxEntries: 3, onEvict: (v) => evicted.push(v.n) });
  for (let i = 0; i < 10; i += 1) await cache.obtain(`k${i}`, async () => ({ n: i }), { ttlMs: () => 60_000 });
  assert.equal(cache.size, 3);
  assert.deepEqual(evicted, [0, 1, 2, 3, 4, 5, 6]);
  cache.clear();
  assert.deepEqual(evicted, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("one caller's abort ends only its own wait; the shared load still serves the others", async () => {
  const cache = new SingleFlightCache<Box>({ maxEntries: 10 });
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const load = async () => { await gate; return { n: 1 }; };
  const impatient = new AbortController();
  const first = cache.obtain("k", load, { ttlMs: () => 1000, signal: impatient.signal });
  const second = cache.obtain("k", load, { ttlMs: () => 1000 });
  impatient.abort(new Error("gave up"));
  await assert.rejects(first, /gave up/);
  release();
  assert.deepEqual(await second, { value: { n: 1 }, source: "joined" });
});

test("a loaded value with no lifetime left is not kept, and goes out through onEvict like any other", async () => {
  const evicted: number[] = [];
  const cache = new SingleFlightCache<Box>({ maxEntries: 3, onEvict: (v) => evicted.push(v.n) });
  const { value } = await cache.obtain("k", async () => ({ n: 1 }), { ttlMs: () => -5 });
  assert.equal(value.n, 1, "the caller still gets it");
  assert.equal(cache.peek("k"), undefined);
  assert.deepEqual(evicted, [1]);
});

test("with fair shares, a holder that floods a full cache evicts its own values, not the others'", async () => {
  interface Owned { readonly owner: string; readonly n: number }
  const evicted: string[] = [];
  const cache = new SingleFlightCache<Owned>({ maxEntries: 10, fairShareOf: (v) => v.owner, onEvict: (v) => evicted.push(`${v.owner}${v.n}`) });
  const put = (owner: string, n: number) => cache.obtain(`${owner}:${n}`, async () => ({ owner, n }), { ttlMs: () => 60_000 });
  for (let n = 0; n < 3; n += 1) await put("quiet", n);
  for (let n = 0; n < 100; n += 1) await put("flood", n);
  assert.equal(cache.size, 10);
  for (let n = 0; n < 3; n += 1) assert.deepEqual(cache.peek(`quiet:${n}`), { owner: "quiet", n }, "the quiet holder's values stay");
  assert.ok(evicted.every((e) => e.startsWith("flood")), "only the flooder's values left");
  // Alone, a holder may fill the whole cache; the next holder then takes room from it.
  const alone = new SingleFlightCache<Owned>({ maxEntries: 4, fairShareOf: (v) => v.owner });
  for (let n = 0; n < 4; n += 1) await alone.obtain(`a:${n}`, async () => ({ owner: "a", n }), { ttlMs: () => 60_000 });
  await alone.obtain("b:0", async () => ({ owner: "b", n: 0 }), { ttlMs: () => 60_000 });
  assert.equal(alone.peek("a:0"), undefined, "the largest holder's oldest value made room");
  assert.ok(alone.peek("a:3") && alone.peek("b:0"));
  alone.delete("b:0");
  await alone.obtain("b:1", async () => ({ owner: "b", n: 1 }), { ttlMs: () => 60_000 });
  assert.equal(alone.size, 4, "bookkeeping follows deletes");
});
