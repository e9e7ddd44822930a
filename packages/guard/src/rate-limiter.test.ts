import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Redis } from "./connection.js";
import { uniqueName } from "@credvend/testkit";
import { RateLimiter } from "./rate-limiter.js";
import { delay, testRedis } from "./testing/fixtures.js";

let redis: Redis;
let limiter: RateLimiter;

before(async () => {
  redis = await testRedis("guard-rate-limiter-test");
  limiter = new RateLimiter(redis);
});
after(() => redis.disconnect());

test("GCRA allows the burst, then refuses with a retry hint that is honoured", async () => {
  const tenant = uniqueName("rl");
  const limit = { key: "principal:app", perSecond: 10, burst: 5 };
  for (let i = 0; i < 5; i += 1) {
    const decision = await limiter.check(tenant, [limit]);
    assert.equal(decision.allowed, true, `request ${i + 1} of the burst`);
    assert.equal(decision.remaining, 4 - i);
  }
  const refused = await limiter.check(tenant, [limit]);
  assert.equal(refused.allowed, false);
  assert.equal(refused.limitedBy, "principal:app");
  assert.equal(refused.remaining, 0);
  // One emission interval is 100 ms, minus the little time the burst took.
  assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 100, `retryAfterMs ${refused.retryAfterMs}`);

  await delay(refused.retryAfterMs + 5);
  const later = await limiter.check(tenant, [limit]);
  assert.equal(later.allowed, true, "allowed again once retryAfterMs has passed");
  assert.equal((await limiter.check(tenant, [limit])).allowed, false, "but only one more");
});

test("multiple limits are all-or-nothing: a refusal consumes nothing", async () => {
  const tenant = uniqueName("rl");
  const wide = { key: "tenant", perSecond: 1, burst: 10 };
  const narrow = { key: "principal:a", perSecond: 1, burst: 2 };
  assert.equal((await limiter.check(tenant, [wide, narrow])).allowed, true);
  assert.equal((await limiter.check(tenant, [wide, narrow])).allowed, true);
  for (let i = 0; i < 5; i += 1) {
    const refused = await limiter.check(tenant, [wide, narrow]);
    assert.equal(refused.allowed, false);
    assert.equal(refused.limitedBy, "principal:a");
    assert.ok(refused.retryAfterMs > 500 && refused.retryAfterMs <= 1000, `retryAfterMs ${refused.retryAfterMs}`);
  }
  // The tenant-wide limit saw only the two allowed requests, not the five refused ones.
  const other = await limiter.check(tenant, [wide, { key: "principal:b", perSecond: 1, burst: 2 }]);
  assert.equal(other.allowed, true);
  assert.equal(other.remaining, 1, "min over limits: principal:b has 1 left");
  const wideOnly = await limiter.check(tenant, [wide]);
  assert.equal(wideOnly.remaining, 6, "10 - 2 - 1 - 1 consumed; the refusals took nothing");
});

test("the limit that must wait longest is reported", async () => {
  const tenant = uniqueName("rl");
  const fast = { key: "fast", perSecond: 100, burst: 1 };
  const slow = { key: "slow", perSecond: 2, burst: 1 };
  assert.equal((await limiter.check(tenant, [fast, slow])).allowed, true);
  const refused = await limiter.check(tenant, [fast, slow]);
  assert.equal(refused.allowed, false);
  assert.equal(refused.limitedBy, "slow");
  assert.ok(refused.retryAfterMs > 250 && refused.retryAfterMs <= 500, `retryAfterMs ${refused.retryAfterMs}`);
});

test("quantity consumes several units at once", async () => {
  const tenant = uniqueName("rl");
  const limit = { key: "q", perSecond: 1, burst: 5 };
  const first = await limiter.check(tenant, [limit], 3);
  assert.deepEqual(first, { allowed: true, retryAfterMs: 0, remaining: 2 });
  const second = await limiter.check(tenant, [limit], 3);
  assert.equal(second.allowed, false);
  assert.equal(second.remaining, 2);
  assert.ok(second.retryAfterMs > 500 && second.retryAfterMs <= 1000, `retryAfterMs ${second.retryAfterMs}`);
  assert.equal((await limiter.check(tenant, [limit], 2)).allowed, true);
});

test("keys carry the prefix and hash tag, expire, and are isolated per hash tag", async () => {
  const a = uniqueName("rl");
  const b = uniqueName("rl");
  const limit = { key: "principal:x", perSecond: 10, burst: 1 };
  assert.equal((await limiter.check(a, [limit])).allowed, true);
  assert.equal((await limiter.check(a, [limit])).allowed, false);
  assert.equal((await limiter.check(b, [limit])).allowed, true, "another tenant has its own state");

  const ttl = await redis.pttl(`credvend:rl:{${a}}:principal:x`);
  assert.ok(ttl > 0 && ttl <= 200, `pttl ${ttl}: state expires once the limit is idle again`);

  const prefixed = new RateLimiter(redis, { prefix: `test:${a}` });
  assert.equal((await prefixed.check(a, [limit])).allowed, true, "a different prefix is a different key space");
});

test("no limits means allowed; bad limits are programmer errors", async () => {
  assert.deepEqual(await limiter.check(uniqueName(), []), { allowed: true, retryAfterMs: 0, remaining: Infinity });
  const ok = { key: "k", perSecond: 1, burst: 2 };
  await assert.rejects(limiter.check("{bad}", [ok]), RangeError);
  await assert.rejects(limiter.check("t", [{ ...ok, perSecond: 0 }]), RangeError);
  await assert.rejects(limiter.check("t", [{ ...ok, burst: 0.5 }]), RangeError);
  await assert.rejects(limiter.check("t", [ok, ok]), RangeError);
  await assert.rejects(limiter.check("t", [ok], 3), RangeError, "quantity above burst can never pass");
  await assert.rejects(limiter.check("t", [ok], 0), RangeError);
});

test("fractional emission intervals: a full burst fits and remaining counts it exactly", async () => {
  // 1.5/s is an interval of 666,666.67 µs: stored TATs rounded up to whole µs made the burst one
  // request short (remaining 0 after the first of two) and could refuse the burst's last request.
  for (const perSecond of [1.5, 3, 0.3, 7]) {
    const tenant = uniqueName("rl");
    const limit = { key: "frac", perSecond, burst: 4 };
    const remaining: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const decision = await limiter.check(tenant, [limit]);
      assert.equal(decision.allowed, true, `${perSecond}/s: request ${i + 1} of the burst`);
      remaining.push(decision.remaining);
    }
    assert.deepEqual(remaining, [3, 2, 1, 0], `${perSecond}/s`);
  }
});

test("0.5/s: one request every two seconds, with a matching retry hint", async () => {
  const tenant = uniqueName("rl");
  const limit = { key: "half", perSecond: 0.5, burst: 1 };
  assert.equal((await limiter.check(tenant, [limit])).allowed, true);
  const refused = await limiter.check(tenant, [limit]);
  assert.equal(refused.allowed, false);
  assert.ok(refused.retryAfterMs > 1900 && refused.retryAfterMs <= 2000, `retryAfterMs ${refused.retryAfterMs}`);
  const ttl = await redis.pttl(`credvend:rl:{${tenant}}:half`);
  assert.ok(ttl > 1900 && ttl <= 2000, `pttl ${ttl}`);
});
