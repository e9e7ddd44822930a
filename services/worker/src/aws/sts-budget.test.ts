// The fleet STS budget against a real redis-server of its own (INFO commandstats counts only this
// file's scripts): concurrent takes stay within burst + rate × elapsed, cost about one script each,
// are refused at once when the wait would exceed a second, and leave no listeners on the signal.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { createRedis, waitReady, type Redis } from "@credvend/guard";
import { CredvendError } from "@credvend/protocol";
import type { StsPlan } from "@credvend/policy";
import { startRedisServer, type RedisServerHandle } from "@credvend/testkit";
import { StsBudget, STS_BUDGET_PREFIX } from "./sts-budget.js";

const plan = { kind: "assume_role" } as StsPlan;
let server: RedisServerHandle;
let workers: Redis[];
let region = 0;

before(async () => {
  server = await startRedisServer();
  // Two clients: two workers of one fleet.
  workers = [createRedis(server.url, { name: "sts-budget-test-a" }), createRedis(server.url, { name: "sts-budget-test-b" })];
  await Promise.all(workers.map((r) => waitReady(r, 5000)));
});
after(async () => {
  for (const r of workers ?? []) r.disconnect();
  await server?.stop();
});

/** Budgets of one fleet (one per worker) for a region of their own, with the script already loaded. */
async function fleetBudgets(perSecond: number, burst: number): Promise<{ budgets: StsBudget[]; region: string }> {
  const name = `test-region-${++region}`;
  const budgets = workers.map((r) => new StsBudget(r, { perSecond, burst, region: name }));
  // Loads the script on the server (EVALSHA's first NOSCRIPT) under another key, before counting.
  await Promise.all(workers.map((r) => new StsBudget(r, { perSecond, burst, region: `${name}-warm` }).take(plan, AbortSignal.timeout(5000))));
  await workers[0]!.config("RESETSTAT");
  return { budgets, region: name };
}

async function scriptsEvaluated(): Promise<number> {
  const stats = await workers[0]!.info("commandstats");
  return [...stats.matchAll(/cmdstat_(?:eval|evalsha|eval_ro|evalsha_ro|fcall):calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

interface Outcome { readonly index: number; readonly atMs: number; readonly granted: boolean; readonly error?: unknown }

/** `n` concurrent takes, alternating between the fleet's workers, on one signal; when each settled. */
async function takeConcurrently(budgets: readonly StsBudget[], n: number, signal: AbortSignal): Promise<{ outcomes: Outcome[]; elapsedMs: number }> {
  const started = performance.now();
  const outcomes: Outcome[] = [];
  await Promise.all(Array.from({ length: n }, (_, index) => budgets[index % budgets.length]!.take(plan, signal).then(
    () => { outcomes.push({ index, atMs: performance.now() - started, granted: true }); },
    (error: unknown) => { outcomes.push({ index, atMs: performance.now() - started, granted: false, error }); },
  )));
  return { outcomes, elapsedMs: performance.now() - started };
}

/** GCRA: by any moment t, at most burst + rate × t calls were let through (one of slack for timer granularity). */
function assertWithinBudget(outcomes: readonly Outcome[], perSecond: number, burst: number): void {
  const grants = outcomes.filter((o) => o.granted).map((o) => o.atMs).sort((a, b) => a - b);
  grants.forEach((atMs, i) => {
    assert.ok(i + 1 <= burst + perSecond * atMs / 1000 + 1, `grant ${i + 1} at ${atMs.toFixed(0)} ms exceeds ${perSecond}/s + burst ${burst}`);
  });
}

test("concurrent takes within a second's wait are all granted, in order, at the budget's rate, one script each", async (t) => {
  const perSecond = 20;
  const burst = 2;
  const n = 20; // burst + 18 × 50 ms = 900 ms: every one fits within the maximum wait
  const { budgets, region: name } = await fleetBudgets(perSecond, burst);
  const controller = new AbortController();
  const { outcomes, elapsedMs } = await takeConcurrently(budgets, n, controller.signal);

  assert.deepEqual(outcomes.filter((o) => !o.granted).map((o) => o.error), [], "none refused");
  assertWithinBudget(outcomes, perSecond, burst);
  assert.ok(elapsedMs >= (n - burst - 1) / perSecond * 1000, `${n} grants in ${elapsedMs.toFixed(0)} ms: the budget did not hold them back`);
  const scripts = await scriptsEvaluated();
  assert.ok(scripts <= n + 1, `${scripts} scripts for ${n} grants (one each expected)`);
  assert.equal(getEventListeners(controller.signal, "abort").length, 0, "no abort listener left on the signal");
  // First come, first served: each take was reserved in the order it reached Redis.
  for (const budgetIndex of [0, 1]) {
    const order = outcomes.filter((o) => o.index % 2 === budgetIndex).map((o) => o.index);
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `worker ${budgetIndex}'s takes were granted in the order asked`);
  }
  const ttl = await workers[0]!.pttl(`${STS_BUDGET_PREFIX}:{${name}:vendor}:calls`);
  assert.ok(ttl > 0 && ttl <= 2000, `the bucket's key expires (PTTL ${ttl})`);
  t.diagnostic(`${n} takes at ${perSecond}/s burst ${burst}: ${outcomes.length} granted in ${elapsedMs.toFixed(0)} ms with ${scripts} scripts`);
});

test("demand far above the budget is refused at once with a retry-after, not spun until the deadline", async (t) => {
  const perSecond = 5;
  const burst = 1;
  const n = 60; // at most burst + 5 reservations within a second's wait
  const { budgets } = await fleetBudgets(perSecond, burst);
  const deadline = AbortSignal.timeout(4000);
  const { outcomes, elapsedMs } = await takeConcurrently(budgets, n, deadline);

  const granted = outcomes.filter((o) => o.granted);
  const refused = outcomes.filter((o) => !o.granted);
  assertWithinBudget(outcomes, perSecond, burst);
  // At least the burst and a second's worth (more only if the takes reached Redis spread out in time;
  // assertWithinBudget bounds them from above).
  assert.ok(granted.length >= burst + perSecond - 1, `${granted.length} granted`);
  for (const { error, atMs } of refused) {
    assert.ok(error instanceof CredvendError, `refused with a CredvendError, got ${String(error)}`);
    assert.equal(error.reason, "CV_ERR_RATE_LIMITED");
    assert.ok(error.retryAfterMs !== undefined && error.retryAfterMs > 1000 && error.retryAfterMs <= 1000 + 1000 / perSecond + 50, `retryAfterMs ${error.retryAfterMs}`);
    // "At once": one round trip, not a wait of its own (bounds loose enough for a loaded machine).
    assert.ok(atMs < 2000, `refused after ${atMs.toFixed(0)} ms, not at once`);
  }
  assert.ok(elapsedMs < 3500, `all settled in ${elapsedMs.toFixed(0)} ms, before the 4 s deadline (no one spun until it)`);
  const scripts = await scriptsEvaluated();
  assert.ok(scripts <= n + 1, `${scripts} scripts for ${n} takes (one each expected)`);
  assert.equal(getEventListeners(deadline, "abort").length, 0, "no abort listener left on the signal");
  t.diagnostic(`${n} takes at ${perSecond}/s burst ${burst}: ${granted.length} granted, ${refused.length} refused, settled in ${elapsedMs.toFixed(0)} ms with ${scripts} scripts`);
});

test("a take waiting for its turn stops at once when its request is aborted", async () => {
  const { budgets: [budget] } = await fleetBudgets(1, 1);
  await budget!.take(plan, AbortSignal.timeout(5000)); // the burst
  const controller = new AbortController();
  const started = performance.now();
  const waiting = budget!.take(plan, controller.signal); // reserved: about 1000 ms away
  setTimeout(() => controller.abort(new Error("deadline")), 50);
  await assert.rejects(waiting, { message: "deadline" });
  assert.ok(performance.now() - started < 800, "rejected at the abort, not after the wait");
  assert.equal(getEventListeners(controller.signal, "abort").length, 0);
  await assert.rejects(budget!.take(plan, controller.signal), { message: "deadline" }, "an aborted request reserves nothing");
});
