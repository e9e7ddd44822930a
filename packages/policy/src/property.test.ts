// Property: no accepted parameter value changes the policy's structure. Same statements, keys,
// actions, array lengths and non-string leaves; only string leaves that hold placeholders change.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CredvendError } from "@credvend/protocol";
import { planRequest } from "./plan.js";
import type { AssumeRolePlan } from "./plan-types.js";
import { hasPlaceholder } from "./placeholders.js";
import { input, okConfig } from "./test-fixtures.js";
import { HOSTILE, INJECTION_CONFIG } from "./testing/injection-cases.js";

const config = okConfig(INJECTION_CONFIG);
const template = config.templates.t?.policy;

/** The same tree with every string replaced by a marker: what "structure" means here. */
function skeleton(v: unknown): unknown {
  if (typeof v === "string") return "<s>";
  if (Array.isArray(v)) return v.map(skeleton);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, skeleton(x)]));
  return v;
}

/** Pairs of (template leaf, rendered leaf) in walk order. */
function leaves(t: unknown, r: unknown, out: [string, string][] = []): [string, string][] {
  if (typeof t === "string") out.push([t, r as string]);
  else if (Array.isArray(t)) t.forEach((x, i) => leaves(x, (r as unknown[])[i], out));
  else if (t !== null && typeof t === "object") for (const [k, x] of Object.entries(t)) leaves(x, (r as Record<string, unknown>)[k], out);
  return out;
}

const count = (s: string, c: string) => s.split(c).length - 1;

const anyValue = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom(...HOSTILE),
  fc.stringMatching(/^[A-Za-z0-9_.@+=-]{1,30}$/),
  fc.stringMatching(/^[a-z0-9]{1,8}(\/[a-z0-9._-]{1,8}){0,3}\/?$/),
  fc.stringMatching(/^arn:aws:dynamodb:[a-z0-9-]{0,12}:123456789012:table\/[A-Za-z0-9_.-]{1,20}$/),
  fc.constantFrom("read", "write", "1", "443", "65535"),
);

const GOOD: Record<string, string> = { name: "report", prefix: "in/2026/", table: "arn:aws:dynamodb:eu-west-1:123456789012:table/orders", level: "read", port: "443" };
/** Each run varies some parameters (the others keep a valid value), so many runs are accepted. */
const VALID: Record<string, fc.Arbitrary<string>> = {
  name: fc.stringMatching(/^[A-Za-z0-9_.@+=-]{1,60}$/),
  prefix: fc.stringMatching(/^[a-z0-9]{1,8}(\/[a-z0-9._-]{1,8}){0,3}\/?$/),
  table: fc.stringMatching(/^arn:aws:dynamodb:[a-z0-9-]{0,12}:123456789012:table\/[A-Za-z0-9_.-]{1,20}$/),
  level: fc.constantFrom("read", "write"),
  port: fc.integer({ min: 1, max: 65535 }).map(String),
};
const one = (k: string) => fc.oneof({ arbitrary: anyValue, weight: 1 }, { arbitrary: VALID[k] as fc.Arbitrary<string>, weight: 3 });
const paramsArb = fc.record({ name: one("name"), prefix: one("prefix"), table: one("table"), level: one("level"), port: one("port") }, { requiredKeys: [] })
  .map((given) => ({ ...GOOD, ...given }));

test("property: accepted values never change the policy's structure", () => {
  let accepted = 0;
  fc.assert(fc.property(paramsArb, (params) => {
    let p: AssumeRolePlan;
    try {
      p = planRequest(config, input({ template: "t", params })) as AssumeRolePlan;
    } catch (e) {
      assert.ok(e instanceof CredvendError && e.reason === "CV_ERR_PARAM_INVALID", String(e));
      return;
    }
    accepted += 1;
    const rendered: unknown = JSON.parse(p.policy ?? "");
    assert.equal(JSON.stringify(rendered), p.policy);
    assert.deepEqual(skeleton(rendered), skeleton(template));
    for (const [t, r] of leaves(template, rendered)) {
      if (!hasPlaceholder(t)) assert.equal(r, t, "a leaf without placeholders changed");
      for (const c of ["*", "?", "${", "\""]) assert.equal(count(r, c), count(t, c), `value added ${c} to ${t}`);
      assert.ok(!r.includes(".."), r);
    }
  }), { numRuns: 2000 });
  assert.ok(accepted > 50, `only ${accepted} accepted runs; the generators should hit valid values`);
});

test("property: session tags and names stay within STS rules for any accepted value", () => {
  fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9_.@+=-]{1,200}$/), fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,63}$/), fc.stringMatching(/^[A-Za-z0-9_-]{8,128}$/), (name, principal, requestId) => {
    let p: AssumeRolePlan;
    try {
      p = planRequest(config, { tenant: "acme", principal, requestId, template: "t", params: { name, prefix: "p", table: "arn:aws:dynamodb:eu-west-1:123456789012:table/x", level: "read", port: "1" } }) as AssumeRolePlan;
    } catch (e) {
      assert.ok(e instanceof CredvendError && e.reason === "CV_ERR_PARAM_INVALID", String(e));
      return;
    }
    assert.match(p.roleSessionName, /^[\w+=,.@-]{2,64}$/);
    assert.match(p.sourceIdentity ?? "", /^[\w+=,.@-]{2,64}$/);
    for (const t of p.tags) {
      assert.match(t.key, /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u);
      assert.ok(t.value.length <= 256 && /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u.test(t.value));
    }
  }), { numRuns: 500 });
});
