import { test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { planRequest } from "./plan.js";
import { PlanMemo } from "./plan-memo.js";
import { DEMO, input, okConfig } from "./test-fixtures.js";

/** One template for a principal's bucket, rendered from its parameter and tenant. */
const PLAIN_TEMPLATE = `  plain:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/app
    params: { bucket: { pattern: "^[a-z-]+$" } }
    policy: { Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::{{bucket}}/{{tenant}}/*" }] }
`;

const CONFIG = okConfig(`
templates:
${PLAIN_TEMPLATE}    tags: { team: "t-{{principal}}" }
    reuse: { min_remaining_seconds: 300 }
  by-id:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/app
    policy: { Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/{{request_id}}/*" }] }
access:
  - tenants: ["acme"]
    principals: ["demo-app", "batch-*"]
    templates: ["plain"]
    params: { bucket: ["red", "blue"] }
  - tenants: ["acme"]
    principals: ["demo-app"]
    templates: ["by-id"]
`);

/** The memo must be invisible: for every request, exactly what planRequest returns. */
function assertSame(memo: PlanMemo, config: typeof CONFIG, req: Parameters<typeof planRequest>[1]): void {
  assert.deepEqual(memo.plan(config, req), planRequest(config, req));
}

test("a memoized plan equals a fresh one for every later request id (session name, request-id tag)", () => {
  const memo = new PlanMemo({ maxEntries: 16 });
  for (let i = 0; i < 5; i += 1) {
    for (const principal of ["demo-app", "batch-1"]) {
      for (const bucket of ["red", "blue"]) assertSame(memo, CONFIG, input({ template: "plain", principal, params: { bucket } }));
    }
  }
  assert.equal(memo.size, 4);
  const plan = memo.plan(CONFIG, input({ template: "plain", requestId: "req-fixed-0001", params: { bucket: "red" } }));
  assert.equal(plan.requestId, "req-fixed-0001");
  assert.ok(Object.isFrozen(plan));
});

test("a template that renders {{request_id}} is planned afresh (its policy differs per request)", () => {
  const memo = new PlanMemo({ maxEntries: 16 });
  const a = memo.plan(CONFIG, input({ template: "by-id", requestId: "req-aaaaaaaa" }));
  const b = memo.plan(CONFIG, input({ template: "by-id", requestId: "req-bbbbbbbb" }));
  assert.ok("policy" in a && a.policy?.includes("req-aaaaaaaa"));
  assert.ok("policy" in b && b.policy?.includes("req-bbbbbbbb"));
  assert.equal(memo.size, 0);
});

test("refusals are never memoized, and a cached plan still refuses a bad request id", () => {
  const memo = new PlanMemo({ maxEntries: 16 });
  assert.throws(() => memo.plan(CONFIG, input({ template: "plain", params: { bucket: "green" } })), CredvendError);
  assert.equal(memo.size, 0);
  memo.plan(CONFIG, input({ template: "plain", params: { bucket: "red" } }));
  assert.throws(() => memo.plan(CONFIG, input({ template: "plain", params: { bucket: "red" }, requestId: "bad id with spaces" })), CredvendError);
  // A principal the rules do not name is refused even though another one's plan is cached.
  assert.throws(() => memo.plan(CONFIG, input({ template: "plain", principal: "intruder", params: { bucket: "red" } })), CredvendError);
});

test("a sealed-reply request is checked against its own rules, whatever plain request was memoized first", () => {
  // Only batch-* may have replies sealed to their own key, and that rule gives them a shorter session.
  const config = okConfig(`
templates:
${PLAIN_TEMPLATE}access:
  - name: everyone
    tenants: ["acme"]
    principals: ["demo-app", "batch-*"]
    templates: ["plain"]
  - name: sealed-batch
    tenants: ["acme"]
    principals: ["batch-*"]
    templates: ["plain"]
    sealed_replies: allow
    max_duration: 900
`);
  const memo = new PlanMemo({ maxEntries: 16 });
  // A rule that does not allow sealed replies must refuse one even when the plain plan is cached.
  assertSame(memo, config, input({ template: "plain", params: { bucket: "red" } }));
  const sealed = input({ template: "plain", params: { bucket: "red" }, sealedReply: true });
  assert.throws(() => planRequest(config, sealed), /CV_ERR_SEALED_REPLY_NOT_ALLOWED|sealed replies/);
  assert.throws(() => memo.plan(config, sealed), /CV_ERR_SEALED_REPLY_NOT_ALLOWED|sealed replies/);
  // Where a rule allows them, the sealed request gets that rule (and its limits), not the plain one's.
  assertSame(memo, config, input({ template: "plain", principal: "batch-1", params: { bucket: "red" } }));
  assertSame(memo, config, input({ template: "plain", principal: "batch-1", params: { bucket: "red" }, sealedReply: true }));
  assertSame(memo, config, input({ template: "plain", principal: "batch-1", params: { bucket: "red" } }));
});

test("a new config object drops every memoized plan (a reload never serves the old rules)", () => {
  const memo = new PlanMemo({ maxEntries: 16 });
  memo.plan(CONFIG, input({ template: "plain", params: { bucket: "red" } }));
  assert.equal(memo.size, 1);
  const demo = okConfig(DEMO);
  assert.throws(() => memo.plan(demo, input({ template: "plain", params: { bucket: "red" } })), CredvendError);
  assert.equal(memo.size, 0);
});

test("the memo is bounded: least recently used plans leave first", () => {
  const memo = new PlanMemo({ maxEntries: 3 });
  for (let i = 0; i < 50; i += 1) assertSame(memo, CONFIG, input({ template: "plain", principal: `batch-${i}`, params: { bucket: "red" } }));
  assert.equal(memo.size, 3);
});

test("a tenant flooding distinct requests does not evict another tenant's plans", () => {
  const config = okConfig(`
templates:
${PLAIN_TEMPLATE}access:
  - tenants: ["acme", "other"]
    principals: ["demo-app"]
    templates: ["plain"]
`);
  const memo = new PlanMemo({ maxEntries: 8 });
  const quiet = (bucket: string) => input({ tenant: "other", template: "plain", params: { bucket } });
  for (const bucket of ["red", "blue"]) memo.plan(config, quiet(bucket));
  // Distinct buckets, each a plan of its own, far more than the memo holds.
  const letters = (n: number) => n.toString(26).replace(/./g, (d) => String.fromCharCode(97 + parseInt(d, 26)));
  for (let i = 0; i < 200; i += 1) assertSame(memo, config, input({ template: "plain", params: { bucket: `flood-${letters(i)}` } }));
  assert.equal(memo.size, 8);
  const hits = memo.hits;
  for (const bucket of ["red", "blue"]) assertSame(memo, config, quiet(bucket));
  assert.equal(memo.hits - hits, 2, "the other tenant's plans were still memoized");
});
