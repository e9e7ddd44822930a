import { test } from "node:test";
import assert from "node:assert/strict";
import { planRequest } from "./plan.js";
import { input, okConfig } from "./test-fixtures.js";

// An access rule's rate limit is one Redis bucket per (effective tenant, rule, principal). The
// rule's part of the key must not depend on where the rule sits in the list: a reload that inserts
// a rule above it would otherwise hand it a fresh burst and its old bucket to another rule.

const TEMPLATES = `
templates:
  read:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/read
    params: { bucket: { max_length: 40 } }
  admin:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/admin
access:
`;
const UNNAMED_READ = `  - { tenants: [acme], principals: [app], templates: [read], params: { bucket: [data] }, rate_limit: { per_second: 1, burst: 2 } }\n`;
const UNNAMED_ADMIN = `  - { tenants: [acme], principals: [app], templates: [admin], rate_limit: { per_second: 5, burst: 5 } }\n`;
const OTHER = `  - { tenants: [other], principals: ["*"], templates: [read], rate_limit: { per_second: 9, burst: 9 } }\n`;

function ruleKey(yaml: string, template: string, params: Record<string, string> = {}): string | undefined {
  const plan = planRequest(okConfig(yaml), input({ tenant: "acme", principal: "app", template, params }));
  return plan.rateLimits.find((l) => l.scope.startsWith("rule:"))?.key;
}

test("rate limits: a named rule's bucket key is <tenant>:rule:<name>:<principal>, as before", () => {
  const named = UNNAMED_READ.replace("- {", "- { name: acme-read,");
  assert.equal(ruleKey(TEMPLATES + named, "read", { bucket: "data" }), "acme:rule:acme-read:app");
  assert.equal(ruleKey(TEMPLATES + OTHER + named, "read", { bucket: "data" }), "acme:rule:acme-read:app");
});

test("rate limits: an unnamed rule keeps its bucket key when a rule is inserted above it", () => {
  const before = ruleKey(TEMPLATES + UNNAMED_READ, "read", { bucket: "data" });
  const after = ruleKey(TEMPLATES + OTHER + UNNAMED_ADMIN + UNNAMED_READ, "read", { bucket: "data" });
  assert.ok(before !== undefined);
  assert.equal(after, before);
});

test("rate limits: the rule that moves into an unnamed rule's old position does not inherit its bucket", () => {
  const old = ruleKey(TEMPLATES + UNNAMED_READ + UNNAMED_ADMIN, "read", { bucket: "data" });
  const inherited = ruleKey(TEMPLATES + UNNAMED_ADMIN + UNNAMED_READ, "admin");
  assert.ok(old !== undefined && inherited !== undefined);
  assert.notEqual(inherited, old);
});

test("rate limits: two different unnamed rules never share a bucket key", () => {
  const yaml = TEMPLATES + UNNAMED_READ + UNNAMED_ADMIN;
  const read = ruleKey(yaml, "read", { bucket: "data" });
  const admin = ruleKey(yaml, "admin");
  assert.ok(read !== undefined && admin !== undefined);
  assert.notEqual(read, admin);
  // Rules differing in one field only (here the limit, then a parameter constraint) differ too.
  assert.notEqual(ruleKey(TEMPLATES + UNNAMED_READ.replace("burst: 2", "burst: 3"), "read", { bucket: "data" }), read);
  assert.notEqual(ruleKey(TEMPLATES + UNNAMED_READ.replace("[data]", "[data, logs]"), "read", { bucket: "data" }), read);
});

test("rate limits: an unnamed rule's key never equals a named rule's", () => {
  const key = ruleKey(TEMPLATES + UNNAMED_READ, "read", { bucket: "data" }) ?? "";
  const part = key.split(":")[2] ?? "";
  assert.doesNotMatch(part, /^[a-z0-9][a-z0-9_-]{0,63}$/, "a rule name could take this bucket");
  assert.doesNotMatch(part, /^#\d+$/, "the old index form would be shared with workers of the previous version");
});

test("rate limits: the unnamed rule's key ignores key order within the rule", () => {
  const reordered = `  - { rate_limit: { burst: 2, per_second: 1 }, params: { bucket: [data] }, templates: [read], principals: [app], tenants: [acme] }\n`;
  assert.equal(ruleKey(TEMPLATES + reordered, "read", { bucket: "data" }), ruleKey(TEMPLATES + UNNAMED_READ, "read", { bucket: "data" }));
});
