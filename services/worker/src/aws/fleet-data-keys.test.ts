// Fleet-wide data keys against a real nats-server and redis-server: workers' data key caches (each
// with its FleetDataKeys, as startWorker wires them) share one GenerateDataKey per recipient, lend
// keys sealed on the wire, keep each key within its limits over the whole fleet, and fall back to
// a key of their own when the owner is gone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { DataKeyCache, type CachedDataKey } from "@credvend/envelope";
import { DATA_KEY_OWNER_PREFIX, ReuseOwners } from "@credvend/guard";
import { peerSubject } from "@credvend/protocol";
import { uniqueName } from "@credvend/testkit";
import type { PeerLink } from "./peer-link.js";
import { usePeerFleet } from "../testing/peer-fleet.js";
import { DATA_KEY_ASK_TIMEOUT_MS, FleetDataKeys } from "./fleet-data-keys.js";

const fleetOf = usePeerFleet("fleet-data-keys-test");
const owners = () => new ReuseOwners(fleetOf.redis(), { prefix: DATA_KEY_OWNER_PREFIX });

function worker(id: string, limits: { maxUses?: number; maxBytes?: number } = {}): { cache: DataKeyCache; link: PeerLink } {
  const cache = new DataKeyCache({ maxAgeMs: 60_000, maxUses: limits.maxUses ?? 10_000, maxBytes: limits.maxBytes ?? 2 ** 26, maxEntries: 100 });
  const link = fleetOf.link(id);
  cache.shareWith(new FleetDataKeys({ link, owners: owners(), cache }));
  link.serve();
  return { cache, link };
}

/** A KMS stand-in that counts its GenerateDataKey calls; each returns a distinct random key. */
function kms(delayMs = 20): { calls: () => number; keys: Uint8Array[]; generate: () => Promise<CachedDataKey> } {
  let calls = 0;
  const keys: Uint8Array[] = [];
  return {
    calls: () => calls,
    keys,
    generate: async () => {
      calls += 1;
      const n = calls;
      await sleep(delayMs);
      const plaintext = new Uint8Array(randomBytes(32));
      keys.push(Uint8Array.from(plaintext));
      return { plaintext, encrypted: new Uint8Array(randomBytes(180)), keyId: `arn:aws:kms:us-east-1:000000000000:key/test-${n}` };
    },
  };
}

const RESERVE = 4096;

test("one recipient's replies on three workers cost one GenerateDataKey, and the key is sealed on the wire", async () => {
  const tenant = uniqueName("fleet");
  const cacheKey = `alias/replies\u0000${tenant}\u0000demo-app`;
  const ids = [uniqueName("w"), uniqueName("w"), uniqueName("w")];
  const workers = ids.map((id) => worker(id));
  const seen: Buffer[] = [];
  const snoop = fleetOf.nc().subscribe("_INBOX.>", { callback: (_e, m) => seen.push(Buffer.from(m.data)) });
  // These workers' subjects only: a wildcard would answer no one and stall other tests' asks to owners that are gone.
  const peers = ids.map((id) => fleetOf.nc().subscribe(peerSubject(id), { callback: (_e, m) => seen.push(Buffer.from(m.data)) }));
  const counter = kms(50);
  const taken = await Promise.all(Array.from({ length: 60 }, (_, i) => workers[i % 3]!.cache.take(cacheKey, counter.generate, { tenant, bytes: RESERVE })));
  await fleetOf.nc().flush();
  snoop.unsubscribe();
  for (const p of peers) p.unsubscribe();
  assert.equal(counter.calls(), 1, "one GenerateDataKey for the whole fleet");
  assert.equal(new Set(taken.map((t) => Buffer.from(t.encrypted).toString("hex"))).size, 1, "every reply sealed under that one key");
  assert.ok(seen.length >= 2, `the other workers asked the owner (${seen.length} messages)`);
  const key = Buffer.from(counter.keys[0]!);
  for (const m of seen) {
    for (const form of [key.toString("latin1"), key.toString("hex"), key.toString("base64"), key.toString("base64url")]) {
      assert.ok(!m.toString("latin1").includes(form), "the plaintext data key never crosses NATS readable");
    }
  }
  const stored = await fleetOf.redis().keys(`${DATA_KEY_OWNER_PREFIX}:{${tenant}}:*`);
  assert.equal(stored.length, 1);
  const value = await fleetOf.redis().get(stored[0]!);
  assert.ok(value !== null && !value.includes(key.toString("base64")) && value.length <= 64, "Redis holds the owner's worker id only");
});

test("over the whole fleet a key never seals more than its maxUses replies or maxBytes bytes", async () => {
  const tenant = uniqueName("fleet");
  const cacheKey = `alias/replies\u0000${tenant}\u0000demo-app`;
  const limits = { maxUses: 8, maxBytes: 8 * RESERVE * 4 };
  const workers = [worker(uniqueName("w"), limits), worker(uniqueName("w"), limits), worker(uniqueName("w"), limits)];
  const counter = kms(5);
  const uses = new Map<string, number>();
  for (let round = 0; round < 6; round += 1) {
    const taken = await Promise.all(Array.from({ length: 15 }, (_, i) => workers[(i + round) % 3]!.cache.take(cacheKey, counter.generate, { tenant, bytes: RESERVE })));
    for (const t of taken) uses.set(t.keyId, (uses.get(t.keyId) ?? 0) + 1);
  }
  for (const [id, n] of uses) assert.ok(n <= limits.maxUses, `${id} sealed ${n} replies over three workers, over maxUses ${limits.maxUses}`);
  assert.ok(counter.calls() >= Math.ceil(90 / limits.maxUses), `90 replies of at most 8 per key need at least 12 keys (${counter.calls()})`);
  assert.ok(counter.calls() < 90, `keys were shared (${counter.calls()} GenerateDataKey for 90 replies)`);
});

test("an owner that is gone or has no key is taken over with one GenerateDataKey of the asker's own, without waiting out a timeout", async () => {
  const tenant = uniqueName("fleet");
  const cacheKey = `alias/replies\u0000${tenant}\u0000demo-app`;
  await owners().claim(tenant, cacheKey, "ghost-worker", 60_000);
  const a = worker(uniqueName("w"));
  const counter = kms(5);
  const started = Date.now();
  const first = await a.cache.take(cacheKey, counter.generate, { tenant, bytes: RESERVE });
  assert.equal(counter.calls(), 1);
  assert.ok(Date.now() - started < 2_000, "no responders is handled at once");
  // Now a owns it: b leases it. Then a stops answering (its worker stopped): c takes over.
  const b = worker(uniqueName("w"));
  assert.equal((await b.cache.take(cacheKey, counter.generate, { tenant, bytes: RESERVE })).keyId, first.keyId);
  a.link.stop();
  const c = worker(uniqueName("w"));
  const own = await c.cache.take(cacheKey, counter.generate, { tenant, bytes: RESERVE });
  assert.equal(counter.calls(), 2);
  assert.notEqual(own.keyId, first.keyId);
});

test("a forged or misdirected answer is never used: the asker generates its own key", async () => {
  const tenant = uniqueName("fleet");
  const cacheKey = `alias/replies\u0000${tenant}\u0000demo-app`;
  // An impostor on an owner's subject answers with a lease sealed to a key the asker never sent.
  const impostorId = uniqueName("impostor");
  const impostor = fleetOf.nc().subscribe(`credvend.v1.peer.${impostorId}`, {
    callback: (_e, m) => m.respond(new TextEncoder().encode(JSON.stringify({ v: 1, found: true, senderPublicKey: randomBytes(32).toString("base64url"), nonce: randomBytes(12).toString("base64url"), ciphertext: randomBytes(80).toString("base64url") }))),
  });
  await owners().claim(tenant, cacheKey, impostorId, 60_000);
  const a = worker(uniqueName("w"));
  const counter = kms(5);
  const key = await a.cache.take(cacheKey, counter.generate, { tenant, bytes: RESERVE });
  impostor.unsubscribe();
  assert.equal(counter.calls(), 1, "the asker's own GenerateDataKey");
  assert.match(key.keyId, /key\/test-/);
});

test("an ask with a public key the owner cannot seal to is refused before anything is lent: the owner's share is whole", async () => {
  const tenant = uniqueName("fleet");
  const cacheKey = `alias/replies\u0000${tenant}\u0000demo-app`;
  const ownerId = uniqueName("w");
  const owner = worker(ownerId, { maxUses: 101 });
  const counter = kms(5);
  await owner.cache.take(cacheKey, counter.generate, { tenant, bytes: RESERVE });
  const asker = fleetOf.link(uniqueName("w"));
  // A fleet member's ask (signed), with a key too short, and with the all-zero low-order point.
  for (const publicKey of [new Uint8Array(31), new Uint8Array(32)]) {
    // The owner's refusal is its unsigned "none", which the asker does not open.
    const got = await asker.ask(ownerId, () => ({ kind: "data-key", key: cacheKey, publicKey }), () => "opened", DATA_KEY_ASK_TIMEOUT_MS).catch(() => undefined);
    assert.equal(got, undefined, "no lease for an unusable key");
  }
  // 100 uses left: a lease now is half of them, as if the bad asks never came.
  assert.equal((await owner.cache.lend(cacheKey, 1))?.maxUses, 50);
});

test("an owner that hears the ask but does not answer costs at most DATA_KEY_ASK_TIMEOUT_MS before the asker's own key", async () => {
  const tenant = uniqueName("fleet");
  const cacheKey = `alias/replies\u0000${tenant}\u0000demo-app`;
  // Alive on NATS (so no "no responders"), but stalled: it never answers.
  const stalledId = uniqueName("stalled");
  const stalled = fleetOf.nc().subscribe(peerSubject(stalledId), { callback: () => undefined });
  await fleetOf.nc().flush();
  await owners().claim(tenant, cacheKey, stalledId, 60_000);
  const a = worker(uniqueName("w"));
  const counter = kms(5);
  const started = Date.now();
  await a.cache.take(cacheKey, counter.generate, { tenant, bytes: RESERVE });
  const waited = Date.now() - started;
  stalled.unsubscribe();
  assert.equal(counter.calls(), 1, "the asker's own GenerateDataKey");
  assert.ok(waited >= DATA_KEY_ASK_TIMEOUT_MS - 50 && waited < DATA_KEY_ASK_TIMEOUT_MS + 1_000, `waited ${waited} ms for a stalled owner`);
});
