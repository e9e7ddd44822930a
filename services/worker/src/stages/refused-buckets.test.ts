// The worker's memory of refused buckets is never stricter than Redis: it refuses only within the
// retry-after Redis gave, counted from before the call, and only the same limit (same rate, burst).
import { test } from "node:test";
import assert from "node:assert/strict";
import { afterPendingIo, RefusedBuckets } from "./refused-buckets.js";
import type { ScopedLimit } from "./rate-limit.js";

const principal: ScopedLimit = { scope: "principal", key: "acme:principal:demo-app", perSecond: 2, burst: 1 };
const tenant: ScopedLimit = { scope: "tenant", key: "acme:tenant", perSecond: 100, burst: 100 };
const refusedBy = (limit: ScopedLimit, retryAfterMs: number) => ({ allowed: false, retryAfterMs, limitedBy: limit.key, remaining: 0 });

test("a refused bucket refuses until its retry-after, counted from before the Redis call, then Redis is asked again", () => {
  let now = 1_000;
  const refused = new RefusedBuckets({ maxEntries: 10, now: () => now });
  assert.equal(refused.check([principal, tenant]), undefined, "nothing known: ask Redis");
  const sentAt = now;
  now += 3; // Redis answered 3 ms later
  refused.remember(refusedBy(principal, 500), [principal, tenant], sentAt);
  const known = refused.check([tenant, principal]);
  assert.equal(known?.limitedBy, principal.key);
  assert.equal(known?.retryAfterMs, 497, "what is left of the wait, from when the call was sent");
  now = sentAt + 499;
  assert.equal(refused.check([principal])?.retryAfterMs, 1);
  now = sentAt + 500;
  assert.equal(refused.check([principal]), undefined, "Redis would allow it now");
});

test("only the refused limit, with its rate and burst, is remembered", () => {
  let now = 0;
  const refused = new RefusedBuckets({ maxEntries: 10, now: () => now });
  refused.remember(refusedBy(principal, 500), [principal, tenant], now);
  assert.equal(refused.check([tenant]), undefined, "another bucket");
  assert.equal(refused.check([{ ...principal, perSecond: 50 }]), undefined, "the same key under a changed limit starts afresh");
  assert.equal(refused.check([{ ...principal, burst: 10 }]), undefined);
  refused.remember({ allowed: true, retryAfterMs: 0, remaining: 3 }, [tenant], now);
  refused.remember(refusedBy({ ...tenant, key: "not-asked" }, 500), [tenant], now);
  assert.equal(refused.check([tenant]), undefined, "an allowed decision, or one naming a limit not asked, is not remembered");
});

test("a long wait is remembered for at most a minute, and at most maxEntries buckets are held", () => {
  let now = 0;
  const refused = new RefusedBuckets({ maxEntries: 2, now: () => now });
  refused.remember(refusedBy(principal, 100_000), [principal], now);
  assert.equal(refused.check([principal])?.retryAfterMs, 60_000);
  now = 60_000;
  assert.equal(refused.check([principal]), undefined, "asked of Redis again after a minute");
  const limits = ["a", "b", "c"].map((key) => ({ ...tenant, key }));
  for (const l of limits) refused.remember(refusedBy(l, 1000), limits, now);
  assert.equal(refused.check([limits[0]!]), undefined, "the oldest was dropped");
  assert.ok(refused.check([limits[1]!]) && refused.check([limits[2]!]));
});

test("refusals answered from memory in one turn of the loop wait for one shared turn, after the I/O already waiting", async () => {
  const order: string[] = [];
  setImmediate(() => order.push("queued before"));
  const a = afterPendingIo();
  const b = afterPendingIo();
  assert.equal(a, b, "one wait for the whole turn");
  await a;
  order.push("refusals answered");
  assert.deepEqual(order, ["queued before", "refusals answered"]);
  assert.notEqual(afterPendingIo(), a, "the next turn waits anew");
});
