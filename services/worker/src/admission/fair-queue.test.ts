import { test } from "node:test";
import assert from "node:assert/strict";
import { FairQueue, type AdmissionLimits, type Caller } from "./fair-queue.js";

const LIMITS: AdmissionLimits = {
  maxInFlight: 2, maxQueued: 100, maxQueuedBytes: 1_000_000,
  principalMaxInFlight: 2, principalMaxQueued: 50, tenantMaxInFlight: 2, tenantMaxQueued: 100,
};

function harness(limits: Partial<AdmissionLimits> = {}) {
  const started: string[] = [];
  const running: Caller[] = [];
  const q = new FairQueue<string>({ ...LIMITS, ...limits }, (item, caller) => { started.push(item); running.push(caller); });
  const finishOne = () => {
    const caller = running.shift();
    assert.ok(caller, "something is running");
    q.done(caller);
  };
  return { q, started, finishOne };
}

const a = { tenant: "t1", principal: "a" };
const b = { tenant: "t2", principal: "b" };

test("a flooding principal does not keep the next slot from another tenant", () => {
  const { q, started, finishOne } = harness();
  for (let i = 0; i < 20; i += 1) q.offer(a, `a${i}`, 10);
  q.offer(b, "b0", 10);
  q.offer(b, "b1", 10);
  assert.deepEqual(started, ["a0", "a1"]);
  for (let i = 0; i < 4; i += 1) finishOne();
  // Slots alternate between the two tenants, whoever queued first or most.
  assert.deepEqual(started.slice(2), ["a2", "b0", "a3", "b1"]);
});

test("round-robin over the principals of a tenant, and per-principal in-flight caps", () => {
  const { q, started, finishOne } = harness({ maxInFlight: 3, tenantMaxInFlight: 3, principalMaxInFlight: 1 });
  const p = (name: string) => ({ tenant: "t", principal: name });
  for (const item of ["x0", "x1", "x2"]) q.offer(p("x"), item, 1);
  for (const item of ["y0", "y1"]) q.offer(p("y"), item, 1);
  assert.deepEqual(started, ["x0", "y0"], "one slot each; the third stays free for a third principal");
  q.offer(p("z"), "z0", 1);
  assert.deepEqual(started, ["x0", "y0", "z0"]);
  finishOne(); // x0
  assert.deepEqual(started.slice(3), ["x1"]);
});

test("caps on queued requests and bytes refuse at once, naming the bound", () => {
  const { q } = harness({ principalMaxQueued: 2, maxQueuedBytes: 250 });
  q.offer(a, "run1", 1);
  q.offer(a, "run2", 1);
  assert.deepEqual(q.offer(a, "q1", 100), { admitted: "queued" });
  assert.deepEqual(q.offer(a, "q2", 100), { admitted: "queued" });
  const full = q.offer(a, "q3", 1);
  assert.equal(full.admitted, false);
  assert.equal(!full.admitted && full.refusal.kind, "principal");
  const bytes = q.offer(b, "big", 100);
  assert.equal(!bytes.admitted && bytes.refusal.kind, "worker", "200 + 100 bytes exceed 250");
  assert.deepEqual(q.offer(b, "small", 50), { admitted: "queued" });
  assert.equal(q.queuedBytes, 250);
});

test("tenant caps bound all of a tenant's principals together", () => {
  const { q, started } = harness({ maxInFlight: 10, tenantMaxInFlight: 2, principalMaxInFlight: 10, tenantMaxQueued: 1 });
  const p = (name: string) => ({ tenant: "t", principal: name });
  q.offer(p("x"), "x0", 1);
  q.offer(p("y"), "y0", 1);
  assert.deepEqual(q.offer(p("z"), "z0", 1), { admitted: "queued" });
  const refused = q.offer(p("w"), "w0", 1);
  assert.equal(!refused.admitted && refused.refusal.kind, "tenant");
  assert.equal(q.offer(b, "b0", 1).admitted, "started", "another tenant still starts at once");
  assert.deepEqual(started, ["x0", "y0", "b0"]);
});

test("drain returns what waited; idle callers are forgotten", () => {
  const { q, finishOne } = harness({ maxInFlight: 1 });
  q.offer(a, "a0", 5);
  q.offer(a, "a1", 5);
  q.offer(b, "b0", 5);
  assert.deepEqual(q.drain().sort(), ["a1", "b0"]);
  assert.equal(q.queued, 0);
  assert.equal(q.queuedBytes, 0);
  finishOne();
  assert.equal(q.inFlight, 0);
  assert.throws(() => q.done(a), /without a running item/);
});
