// Patterns run on request values: matching time must stay linear in the value's length, whatever
// the operator wrote. A backtracking engine spent seconds on `(a+)+` with a 28-character value.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { planRequest } from "./plan.js";
import { parseConfig } from "./config.js";
import { cachedPatternCount, fullyMatches, PATTERN_CACHE_MAX } from "./pattern.js";
import { globMatches } from "./glob.js";
import { input, okConfig } from "./test-fixtures.js";

const EVIL = ["(a+)+", "(a|a)*", "(a|aa)+", "(a*)*b", "([a-z]+)*-", "(\\w+\\d*)+x"];

const config = (pattern: string, constraint = "") => `
templates:
  t:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/r
    params: { name: { pattern: ${JSON.stringify(pattern)}, max_length: 2048 } }  # long values, so not rendered
    policy: { Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/{{tenant}}/x" }] }
access:
  - { tenants: ["*"], principals: ["*"], templates: ["*"]${constraint} }
`;

function timed(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

test("pattern: classic evil patterns match in bounded time, in templates and in access rules", () => {
  for (const evil of EVIL) {
    const tpl = okConfig(config(evil));
    const rule = okConfig(config("[a-z=]+", `, params: { name: { pattern: ${JSON.stringify(evil)} } }`));
    for (const length of [27, 2047]) {
      const value = `${"a".repeat(length)}=`;
      const ms = timed(() => {
        assert.throws(() => planRequest(tpl, input({ template: "t", params: { name: value } })), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_PARAM_INVALID");
        assert.throws(() => planRequest(rule, input({ template: "t", params: { name: value } })), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_PARAM_NOT_ALLOWED");
      });
      assert.ok(ms < 250, `${evil} on ${length + 1} characters took ${ms.toFixed(0)} ms`);
    }
  }
});

test("pattern: backreferences and lookaround are refused at load with what to change", () => {
  for (const bad of ["(a)\\1", "(?=a)a", "(?!x)a", "(?<=a)b", "(?<!a)b"]) {
    const r = parseConfig(config(bad));
    assert.ok(!r.ok, bad);
    if (r.ok) continue;
    assert.ok(r.problems.some((p) => p.path === "templates.t.params.name.pattern" && p.message.includes("linear time") && p.message.includes("lookaround")), JSON.stringify(r.problems));
  }
  const long = parseConfig(config("a".repeat(1025)));
  assert.ok(!long.ok && long.problems.some((p) => p.message.includes("at most 1024")));
});

test("pattern: whole-value semantics are kept", () => {
  assert.ok(fullyMatches("reports/.*", "reports/2026"));
  assert.ok(!fullyMatches("abc", "abcd"));
  assert.ok(!fullyMatches("a|b", "ab"));
  assert.ok(fullyMatches("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", "acme-data"));
  assert.ok(!fullyMatches("a*", "a".repeat(5000)), "values longer than any request may carry never match");
});

test("pattern: the compiled-pattern cache is bounded however many configs were loaded", () => {
  for (let i = 0; i < PATTERN_CACHE_MAX + 200; i++) fullyMatches(`reload-${i}-[a-z]+`, "x");
  assert.ok(cachedPatternCount() <= PATTERN_CACHE_MAX, `${cachedPatternCount()} cached`);
});

test("glob: matching time is bounded for globs with many stars", () => {
  const glob = `${"*a".repeat(31)}*`;
  const name = `${"a".repeat(30)}b${"a".repeat(33)}`.slice(0, 64);
  const ms = timed(() => {
    for (let i = 0; i < 100; i++) globMatches(glob, name);
  });
  assert.ok(ms < 100, `${ms} ms`);
  assert.ok(globMatches("s3-*", "s3-read") && globMatches("batch-?", "batch-1") && !globMatches("batch-?", "batch-12"));
  assert.ok(globMatches("*", "") && globMatches("a*b*c", "aXbYc") && !globMatches("a*b*c", "aXbY"));
});
