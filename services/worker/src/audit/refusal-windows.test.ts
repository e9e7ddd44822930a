import { test } from "node:test";
import assert from "node:assert/strict";
import type { AuditEvent } from "./event.js";
import { aggregatable, RefusalWindows } from "./refusal-windows.js";

let seq = 0;
const refusal = (over: Partial<AuditEvent> = {}): AuditEvent => ({
  v: 1, id: `e${seq++}`, time: "t", workerId: "W", tenant: "acme", principal: "app", template: "s3",
  outcome: "refused", code: "RESOURCE_EXHAUSTED", reason: "CV_ERR_RATE_LIMITED", retryable: true, latencyMs: 1, requestId: `r${seq}`, ...over,
});
const total = (events: readonly AuditEvent[]) => events.reduce((n, e) => n + (e.count ?? 1), 0);

function windows(options: { maxPerTenant?: number; maxOverflow?: number; maxEntries?: number } = {}) {
  let clock = 1_000_000;
  const out: AuditEvent[] = [];
  const w = new RefusalWindows({ windowMs: 10_000, now: () => clock, ...options }, (e) => out.push(e));
  return { w, out, advance: (ms: number) => (clock += ms) };
}

test("the first refusal of a kind is published in full, the rest counted; close publishes one summary", () => {
  const { w, out } = windows();
  for (let i = 0; i < 1000; i += 1) w.note(refusal({ latencyMs: i }));
  assert.equal(out.length, 1);
  assert.equal(out[0]?.count, undefined);
  w.close();
  assert.equal(out.length, 2);
  const s = out[1];
  assert.ok(s);
  assert.deepEqual([s.count, s.reason, s.code, s.template, s.principal, s.firstId, s.latencyMs, s.requestId], [999, "CV_ERR_RATE_LIMITED", "RESOURCE_EXHAUSTED", "s3", "app", out[0]?.id, 999, undefined]);
  assert.equal(total(out), 1000);
  // After close (a stopping worker), nothing waits for a window that will not close any more.
  w.note(refusal());
  assert.equal(out.length, 3);
  assert.equal(w.size, 0);
});

test("a lone refusal gets no summary; different kinds and tenants have windows of their own", () => {
  const { w, out } = windows();
  w.note(refusal());
  w.note(refusal({ reason: "CV_ERR_OVERLOADED" }));
  w.note(refusal({ tenant: "other" }));
  w.note(refusal({ outcome: "denied", code: "PERMISSION_DENIED", reason: "CV_ERR_PARAM_NOT_ALLOWED" }));
  w.close();
  assert.equal(out.length, 4);
  assert.ok(out.every((e) => e.count === undefined));
});

test("issued, replayed and decisions naming credentials are never aggregated", () => {
  assert.equal(aggregatable(refusal({ outcome: "issued" })), false);
  assert.equal(aggregatable(refusal({ outcome: "replayed" })), false);
  assert.equal(aggregatable(refusal({ outcome: "failed", accessKeyId: "ASIAEXAMPLE" })), false);
  assert.equal(aggregatable(refusal({ outcome: "failed", reason: "CV_ERR_AWS_UNAVAILABLE" })), true);
  const { w, out } = windows();
  for (let i = 0; i < 5; i += 1) w.note(refusal({ outcome: "issued", accessKeyId: `ASIA${i}` }));
  assert.equal(out.length, 5);
});

test("a window closes by itself after windowMs, and the next refusal opens a new one in full", async () => {
  const out: AuditEvent[] = [];
  const w = new RefusalWindows({ windowMs: 30 }, (e) => out.push(e));
  for (let i = 0; i < 10; i += 1) w.note(refusal());
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(out.map((e) => e.count), [undefined, 9]);
  assert.ok((out[1]?.windowStart ?? "") <= (out[1]?.windowEnd ?? ""));
  w.note(refusal());
  assert.equal(out.length, 3);
  assert.equal(out[2]?.count, undefined);
  w.close();
});

test("the map is bounded: past a tenant's share into its overflow entry, past the overflow map into the global one; nothing uncounted", () => {
  const { w, out } = windows({ maxPerTenant: 4, maxOverflow: 2, maxEntries: 100 });
  for (let i = 0; i < 1000; i += 1) w.note(refusal({ template: `t${i}`, reason: i % 2 ? "CV_ERR_TEMPLATE_NOT_FOUND" : "CV_ERR_RATE_LIMITED" }));
  assert.equal(w.size, 5, "four windows and the tenant's overflow entry");
  // Another tenant still gets windows of its own.
  w.note(refusal({ tenant: "calm" }));
  assert.equal(out.at(-1)?.tenant, "calm");
  // Two more flooding tenants: the overflow map holds two entries, the third counts globally.
  for (const t of ["b", "c"]) for (let i = 0; i < 50; i += 1) w.note(refusal({ tenant: t, template: `t${i}` }));
  assert.ok(w.size <= 4 * 4 + 2 + 1 + 1, `size ${w.size}`);
  w.close();
  assert.equal(total(out), 1000 + 1 + 100);
  const tenantOverflow = out.find((e) => e.overflow === "tenant" && e.tenant === "acme");
  assert.ok(tenantOverflow?.count && tenantOverflow.principal === undefined && tenantOverflow.template === undefined);
  assert.equal(Object.values(tenantOverflow.reasons ?? {}).reduce((a, b) => a + b, 0), tenantOverflow.count);
  const global = out.find((e) => e.overflow === "global");
  assert.ok(global?.count && global.tenant === undefined, JSON.stringify(global));
  assert.ok(out.length < 40, `${out.length} events for 1101 refusals`);
});

test("windowMs 0 turns aggregation off (one event per refusal)", () => {
  const out: AuditEvent[] = [];
  const w = new RefusalWindows({ windowMs: 0 }, (e) => out.push(e));
  for (let i = 0; i < 3; i += 1) w.note(refusal());
  assert.equal(out.length, 3);
});
