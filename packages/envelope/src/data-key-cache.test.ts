// The data key cache's limits hold per key, not per caller or per holder: callers joining one
// generation, and holders sealing with leases of one key, never take it past maxUses or maxBytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { DataKeyCache, type DataKeySource } from "./data-key-cache.js";

function generator(delayMs = 0) {
  let calls = 0;
  const made: Uint8Array[] = [];
  return {
    calls: () => calls,
    made,
    generate: async () => {
      calls += 1;
      const id = calls;
      if (delayMs > 0) await sleep(delayMs);
      const plaintext = Uint8Array.from([id, 7, 7]);
      made.push(plaintext);
      return { plaintext, encrypted: Uint8Array.from([id]), keyId: `k${id}` };
    },
  };
}

const countBy = (ids: string[]) => ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());

/** A source that asks `lender` directly, as FleetDataKeys does over NATS. */
function leasesFrom(lender: DataKeyCache, minBytes: number, asked: string[] = []): DataKeySource {
  return {
    fromOwner: async (cacheKey) => {
      asked.push(cacheKey);
      return lender.lend(cacheKey, minBytes);
    },
    generated: () => undefined,
  };
}

test("callers that join one generation never use its key beyond maxUses", async () => {
  const g = generator(20);
  const cache = new DataKeyCache({ maxAgeMs: 60_000, maxUses: 2, maxEntries: 10 });
  const taken = await Promise.all(Array.from({ length: 10 }, () => cache.take("r", g.generate)));
  for (const [id, n] of countBy(taken.map((t) => t.keyId))) assert.ok(n <= 2, `${id} used ${n} times, over maxUses 2`);
  assert.ok(g.calls() >= 5, `10 uses of at most 2 each need at least 5 keys (${g.calls()})`);
});

test("a lease is half of what its lender has left, so lender and lessees together stay within the key's uses and bytes", async () => {
  const g = generator();
  const owner = new DataKeyCache({ maxAgeMs: 60_000, maxUses: 10, maxBytes: 50_000, maxEntries: 10 });
  const other = new DataKeyCache({ maxAgeMs: 60_000, maxUses: 10, maxBytes: 50_000, maxEntries: 10 });
  const third = new DataKeyCache({ maxAgeMs: 60_000, maxUses: 10, maxBytes: 50_000, maxEntries: 10 });
  other.shareWith(leasesFrom(owner, 1000));
  third.shareWith(leasesFrom(owner, 1000));
  const used: string[] = [];
  const bytes = new Map<string, number>();
  const take = async (cache: DataKeyCache, n: number) => {
    const key = await cache.take("r", g.generate, { tenant: "acme", bytes: n });
    used.push(key.keyId);
    bytes.set(key.keyId, (bytes.get(key.keyId) ?? 0) + n);
  };
  await take(owner, 1000);
  for (let i = 0; i < 60; i += 1) await take([owner, other, third][i % 3]!, 1000 + (i % 4) * 1000);
  for (const [id, n] of countBy(used)) assert.ok(n <= 10, `${id} sealed ${n} times over three holders, over maxUses 10`);
  for (const [id, n] of bytes) assert.ok(n <= 50_000, `${id} sealed ${n} bytes over three holders, over maxBytes 50,000`);
  assert.ok(countBy(used).get("k1")! >= 5, "the first key served the other holders too");
});

test("a lease ends when its lender's key does, and a lease too small for the caller is not used", async () => {
  let now = 1_000;
  const clock = () => now;
  const g = generator();
  const owner = new DataKeyCache({ maxAgeMs: 10_000, maxUses: 100, maxBytes: 100_000, maxEntries: 10, now: clock });
  const other = new DataKeyCache({ maxAgeMs: 10_000, maxUses: 100, maxBytes: 100_000, maxEntries: 10, now: clock });
  const asked: string[] = [];
  other.shareWith(leasesFrom(owner, 1));
  await owner.take("r", g.generate, { tenant: "acme" });
  now += 6_000;
  assert.equal((await other.take("r", g.generate, { tenant: "acme" })).keyId, "k1", "leased from the owner");
  now += 4_001;
  assert.equal((await other.take("r", g.generate, { tenant: "acme" })).keyId, "k2", "the lease ended with the owner's key, 10 s after it was generated");

  const small = new DataKeyCache({ maxAgeMs: 10_000, maxUses: 100, maxBytes: 100_000, maxEntries: 10, now: clock });
  const lender = new DataKeyCache({ maxAgeMs: 10_000, maxUses: 100, maxBytes: 3_000, maxEntries: 10, now: clock });
  await lender.take("s", g.generate, { tenant: "acme", bytes: 1000 });
  small.shareWith(leasesFrom(lender, 1, asked));
  const own = await small.take("s", g.generate, { tenant: "acme", bytes: 2000 });
  assert.equal(asked.length, 1);
  assert.notEqual(own.keyId, "k2", "a 1,000-byte lease cannot seal 2,000 bytes: a key of its own");
});

test("a lease that is already over when it arrives is zeroed, and the key is generated here", async () => {
  let now = 1_000;
  const g = generator();
  const other = new DataKeyCache({ maxAgeMs: 10_000, maxUses: 100, maxEntries: 10, now: () => now });
  const leased = Uint8Array.from([9, 9, 9]);
  other.shareWith({
    // The owner answered with 50 ms left, and the answer took 60 ms to arrive.
    fromOwner: async () => {
      now += 60;
      return { key: { plaintext: leased, encrypted: Uint8Array.from([9]), keyId: "lent" }, maxUses: 10, maxBytes: 1000, ttlMs: 50 };
    },
    generated: () => undefined,
  });
  assert.equal((await other.take("r", g.generate, { tenant: "acme" })).keyId, "k1", "not the lease: it ended on the way");
  assert.deepEqual([...leased], [0, 0, 0], "the leased key's plaintext was zeroed");
  assert.equal((await other.take("r", g.generate, { tenant: "acme" })).keyId, "k1", "the key generated instead is kept");
  assert.equal(g.calls(), 1);
});

test("lend answers from a generation in flight, and has nothing for a key it never had", async () => {
  const g = generator(30);
  const owner = new DataKeyCache({ maxAgeMs: 60_000, maxUses: 10, maxEntries: 10 });
  assert.equal(await owner.lend("nobody", 1), undefined);
  const taking = owner.take("r", g.generate, { tenant: "acme" });
  await sleep(5);
  const lease = await owner.lend("r", 1);
  assert.equal(lease?.key.keyId, "k1");
  // Half of what is left: 10, or 9 once the owner's own caller took its use.
  assert.ok(lease !== undefined && lease.maxUses >= 4 && lease.maxUses <= 5, `lease of ${lease?.maxUses} uses`);
  await taking;
  assert.equal(g.calls(), 1);
});

test("keys stay per holder when no tenant is given", async () => {
  const g = generator();
  const owner = new DataKeyCache({ maxAgeMs: 60_000, maxUses: 10, maxEntries: 10 });
  const other = new DataKeyCache({ maxAgeMs: 60_000, maxUses: 10, maxEntries: 10 });
  const asked: string[] = [];
  other.shareWith(leasesFrom(owner, 1, asked));
  await owner.take("r", g.generate);
  assert.equal((await other.take("r", g.generate)).keyId, "k2");
  assert.equal(asked.length, 0);
});

/** A generation that runs until `finish()`, as a KMS call may for up to its 30 s timeout. */
function slowGeneration() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => { finish = resolve; });
  const plaintext = Uint8Array.from([5, 5, 5]);
  return {
    plaintext,
    finish,
    generate: async () => {
      await done;
      return { plaintext, encrypted: Uint8Array.from([1]), keyId: "own" };
    },
  };
}

/** `promise`, or a rejection naming the wait when it is still pending after `ms`. */
const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, sleep(ms).then((): never => { throw new Error(`still waiting after ${ms} ms`); })]);

test("a caller generating a key of its own stops waiting at its deadline, and the key that comes after is zeroed", async () => {
  // Over maxBytes for any one key: the caller generates a key for itself alone.
  const big = slowGeneration();
  const cache = new DataKeyCache({ maxAgeMs: 60_000, maxUses: 10, maxBytes: 1_000, maxEntries: 10 });
  const deadline = new AbortController();
  const taking = cache.take("r", big.generate, { bytes: 2_000, signal: deadline.signal });
  deadline.abort(new Error("deadline"));
  await assert.rejects(within(taking, 200), /deadline/);
  big.finish();
  await sleep(0);
  assert.deepEqual(big.plaintext, Uint8Array.from([0, 0, 0]), "no one is left to use or zero it");

  // Every lookup meets a key used up meanwhile (here: leases over by the time they arrive).
  let now = 1_000;
  const leasedOut = new DataKeyCache({ maxAgeMs: 60_000, maxUses: 10, maxEntries: 10, now: () => now });
  leasedOut.shareWith({
    fromOwner: async () => {
      now += 10;
      return { key: { plaintext: Uint8Array.from([1]), encrypted: Uint8Array.from([1]), keyId: "lease" }, maxUses: 10, maxBytes: 1e9, ttlMs: 5 };
    },
    generated: () => undefined,
  });
  const late = slowGeneration();
  const again = new AbortController();
  const waiting = leasedOut.take("r", late.generate, { tenant: "acme", signal: again.signal });
  await sleep(5);
  again.abort(new Error("deadline"));
  await assert.rejects(within(waiting, 200), /deadline/);
  late.finish();
});

test("a message limit beyond 2^32 per data key is refused, as the AWS Encryption SDK's caching CMM refuses it", () => {
  // Random 96-bit GCM nonces: past 2^32 seals under one key, a nonce collision (and with it a
  // forgeable tag) is no longer negligible.
  for (const maxUses of [2 ** 32 + 1, Number.MAX_SAFE_INTEGER, Infinity, 1.5, -1, Number.NaN]) {
    assert.throws(() => new DataKeyCache({ maxAgeMs: 60_000, maxUses, maxEntries: 10 }), RangeError, String(maxUses));
  }
  assert.ok(new DataKeyCache({ maxAgeMs: 60_000, maxUses: 2 ** 32, maxEntries: 10 }).enabled);
});
