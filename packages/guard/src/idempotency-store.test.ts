import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Redis } from "./connection.js";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { IdempotencyStore, type ClaimResult } from "./idempotency-store.js";
import { delay, testRedis } from "./testing/fixtures.js";

let redis: Redis;
let store: IdempotencyStore;

before(async () => {
  redis = await testRedis("guard-idempotency-test");
  store = new IdempotencyStore(redis);
});
after(() => redis.disconnect());

function scope(): { tenant: string; principal: string } {
  return { tenant: uniqueName("idem"), principal: uniqueName("p") };
}

function claimed(result: ClaimResult): string {
  assert.equal(result.state, "claimed");
  return result.token;
}

test("50 concurrent claims: exactly one owner; every waiter gets the identical reply", async () => {
  const who = scope();
  const id = uniqueRequestId();
  const results = await Promise.all(Array.from({ length: 50 }, () => store.claim(who, id, "fp")));
  const owners = results.filter((r) => r.state === "claimed");
  assert.equal(owners.length, 1);
  assert.equal(results.filter((r) => r.state === "pending").length, 49);

  const waiting = Array.from({ length: 49 }, () => store.awaitResult(who, id, "fp", { deadlineMs: Date.now() + 5000, pollMs: 5 }));
  await delay(30);
  const reply = new Uint8Array(Array.from({ length: 256 }, (_, i) => i)); // every byte value: binary-safe
  assert.equal(await store.complete(who, id, claimed(owners[0] as ClaimResult), reply), true);

  for (const result of await Promise.all(waiting)) {
    assert.equal(result.state, "done");
    assert.deepEqual(result.state === "done" ? result.reply : undefined, reply);
  }
  const replay = await store.claim(who, id, "fp");
  assert.deepEqual(replay, { state: "done", reply });
});

test("same id with a different fingerprint is a mismatch, pending or done", async () => {
  const who = scope();
  const id = uniqueRequestId();
  const token = claimed(await store.claim(who, id, "fp-a"));
  assert.deepEqual(await store.claim(who, id, "fp-b"), { state: "mismatch" });
  assert.deepEqual(await store.awaitResult(who, id, "fp-b", { deadlineMs: Date.now() + 1000 }), { state: "mismatch" });
  await store.complete(who, id, token, new Uint8Array([1]));
  assert.deepEqual(await store.claim(who, id, "fp-b"), { state: "mismatch" });
  assert.equal((await store.claim(who, id, "fp-a")).state, "done");
});

test("records are scoped by tenant and principal", async () => {
  const a = scope();
  const id = uniqueRequestId();
  claimed(await store.claim(a, id, "fp"));
  claimed(await store.claim({ tenant: a.tenant, principal: uniqueName("other") }, id, "fp"));
  claimed(await store.claim({ tenant: uniqueName("other"), principal: a.principal }, id, "fp"));
  const key = `credvend:idem:{${a.tenant}}:${a.principal}:${id}`;
  assert.equal(await redis.exists(key), 1, "key layout with the tenant hash tag");
});

test("an expired lease lets a new claimant in, and the stale owner can no longer complete", async () => {
  const short = new IdempotencyStore(redis, { leaseMs: 100 });
  const who = scope();
  const id = uniqueRequestId();
  const stale = claimed(await short.claim(who, id, "fp"));
  await delay(150);
  const fresh = claimed(await short.claim(who, id, "fp"));
  assert.notEqual(fresh, stale);
  assert.equal(await short.complete(who, id, stale, new Uint8Array([9])), false, "stale token refused");
  assert.equal((await short.claim(who, id, "fp")).state, "pending", "the new owner's claim is intact");
  assert.equal(await short.complete(who, id, fresh, new Uint8Array([7])), true);
  assert.deepEqual(await short.claim(who, id, "fp"), { state: "done", reply: new Uint8Array([7]) });
});

test("a waiter takes over when the owner's lease expires", async () => {
  const short = new IdempotencyStore(redis, { leaseMs: 100 });
  const who = scope();
  const id = uniqueRequestId();
  claimed(await short.claim(who, id, "fp"));
  const result = await short.awaitResult(who, id, "fp", { deadlineMs: Date.now() + 2000, pollMs: 10 });
  assert.equal(result.state, "claimed");
});

test("complete and release check the owner token; release lets a retry claim", async () => {
  const who = scope();
  const id = uniqueRequestId();
  const token = claimed(await store.claim(who, id, "fp"));
  assert.equal(await store.complete(who, id, "not-the-owner", new Uint8Array([1])), false);
  await store.release(who, id, "not-the-owner");
  assert.equal((await store.claim(who, id, "fp")).state, "pending", "a wrong token releases nothing");

  await store.release(who, id, token);
  const retry = claimed(await store.claim(who, id, "fp"));
  assert.equal(await store.complete(who, id, token, new Uint8Array([1])), false, "the released token is stale");
  assert.equal(await store.complete(who, id, retry, new Uint8Array([2])), true);
  assert.equal(await store.complete(who, id, retry, new Uint8Array([3])), true, "a repeated complete by the owner is idempotent");
  await store.release(who, id, retry);
  assert.deepEqual(await store.claim(who, id, "fp"), { state: "done", reply: new Uint8Array([2]) }, "done records are never released");
});

test("done records expire after ttlMs", async () => {
  const short = new IdempotencyStore(redis, { ttlMs: 5000 });
  const who = scope();
  const id = uniqueRequestId();
  await short.complete(who, id, claimed(await short.claim(who, id, "fp")), new Uint8Array([1]));
  const ttl = await redis.pttl(`credvend:idem:{${who.tenant}}:${who.principal}:${id}`);
  assert.ok(ttl > 4000 && ttl <= 5000, `pttl ${ttl}`);
});

test("a completion may keep its record for less than ttlMs, never more", async () => {
  const store5s = new IdempotencyStore(redis, { ttlMs: 5000 });
  const who = scope();
  const key = (id: string) => `credvend:idem:{${who.tenant}}:${who.principal}:${id}`;
  const shorter = uniqueRequestId();
  await store5s.complete(who, shorter, claimed(await store5s.claim(who, shorter, "fp")), new Uint8Array([1]), 1500);
  const ttlShort = await redis.pttl(key(shorter));
  assert.ok(ttlShort > 1000 && ttlShort <= 1500, `pttl ${ttlShort}`);
  const longer = uniqueRequestId();
  await store5s.complete(who, longer, claimed(await store5s.claim(who, longer, "fp")), new Uint8Array([1]), 60_000);
  const ttlCapped = await redis.pttl(key(longer));
  assert.ok(ttlCapped > 4000 && ttlCapped <= 5000, `pttl ${ttlCapped}`);
});

test("awaitResult returns pending at the deadline and honours an abort signal", async () => {
  const who = scope();
  const id = uniqueRequestId();
  claimed(await store.claim(who, id, "fp"));
  const started = Date.now();
  assert.deepEqual(await store.awaitResult(who, id, "fp", { deadlineMs: started + 120 }), { state: "pending" });
  assert.ok(Date.now() - started >= 115);

  const reason = new Error("request deadline");
  const controller = new AbortController();
  setTimeout(() => controller.abort(reason), 50);
  await assert.rejects(store.awaitResult(who, id, "fp", { deadlineMs: Date.now() + 5000, signal: controller.signal }), (err) => err === reason);
});

test("invalid scope or request id is a programmer error", async () => {
  await assert.rejects(store.claim({ tenant: "Bad.Tenant", principal: "p" }, uniqueRequestId(), "fp"), RangeError);
  await assert.rejects(store.claim(scope(), "short", "fp"), RangeError);
  await assert.rejects(store.claim(scope(), uniqueRequestId(), ""), RangeError);
  assert.throws(() => new IdempotencyStore(redis, { leaseMs: 0 }), RangeError);
});

test("a renewed claim outlives its lease while the owner works, and expires once renewal stops", async () => {
  const short = new IdempotencyStore(redis, { leaseMs: 100 });
  assert.equal(short.leaseMs, 100);
  const who = scope();
  const id = uniqueRequestId();
  const token = claimed(await short.claim(who, id, "fp"));
  let lost = false;
  const stop = short.keepClaim(who, id, token, () => { lost = true; });
  await delay(350);
  assert.equal((await short.claim(who, id, "fp")).state, "pending", "still the live owner's claim after 3.5 leases");
  assert.equal(lost, false);
  stop();
  await delay(150);
  assert.equal((await short.claim(who, id, "fp")).state, "claimed", "a stopped (crashed) owner's claim expires");
  assert.equal(await short.renew(who, id, token), false, "the old owner cannot renew a claim it lost");
});

test("renew refuses other tokens and done records; keepClaim reports a lost claim once", async () => {
  const short = new IdempotencyStore(redis, { leaseMs: 60 });
  const who = scope();
  const id = uniqueRequestId();
  const token = claimed(await short.claim(who, id, "fp"));
  assert.equal(await short.renew(who, id, "not-the-owner"), false);
  assert.equal(await short.renew(who, id, token), true);
  await short.complete(who, id, token, new Uint8Array([1]));
  assert.equal(await short.renew(who, id, token), false, "a done record is not a claim");
  assert.ok((await redis.pttl(`credvend:idem:{${who.tenant}}:${who.principal}:${id}`)) > 60_000, "renew never shortens a done record's TTL");

  const other = uniqueRequestId();
  const stale = claimed(await short.claim(who, other, "fp"));
  await short.release(who, other, stale);
  let lost = 0;
  const stop = short.keepClaim(who, other, stale, () => { lost += 1; });
  await delay(150);
  stop();
  assert.equal(lost, 1);
});
