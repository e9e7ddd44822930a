import { test } from "node:test";
import assert from "node:assert/strict";
import { parseConfig } from "./config.js";

// A rule's name is its identity: in audit events (accessRule), refusal messages, the dry run and its
// rate-limit bucket. Two rules of one name would share a bucket with different rates (one rule's
// traffic refusing the other's), so a repeated name is a config error, for deny rules too.

const TEMPLATES = `
templates:
  read: { kind: assume_role, role_arn: "arn:aws:iam::123456789012:role/read" }
  admin: { kind: assume_role, role_arn: "arn:aws:iam::123456789012:role/admin" }
access:
`;

function errors(yaml: string): { path: string; message: string }[] {
  const r = parseConfig(yaml);
  return r.ok ? [] : r.problems.filter((p) => p.severity === "error");
}

test("rule names: two allow rules of one name are refused, naming both and the fix", () => {
  const yaml = `${TEMPLATES}
  - { name: limited, tenants: [acme], principals: [app], templates: [admin], rate_limit: { per_second: 0.01, burst: 1 } }
  - { name: limited, tenants: [acme], principals: [app], templates: [read], rate_limit: { per_second: 100, burst: 100 } }
`;
  const found = errors(yaml);
  assert.equal(found.length, 1, JSON.stringify(found));
  assert.equal(found[0]?.path, "access[1].name");
  assert.match(found[0]?.message ?? "", /"limited"/);
  assert.match(found[0]?.message ?? "", /access\[0\]/);
  assert.match(found[0]?.message ?? "", /rename one/);
});

test("rule names: a deny rule may not reuse an allow rule's name", () => {
  const yaml = `${TEMPLATES}
  - { name: acme, tenants: [acme], principals: ["*"], templates: [read] }
  - { name: acme, effect: deny, tenants: [acme], principals: [intern], templates: [read] }
`;
  assert.deepEqual(errors(yaml).map((p) => p.path), ["access[1].name"]);
});

test("rule names: every repeat is reported against the first use", () => {
  const rule = (n: string) => `  - { name: ${n}, tenants: [acme], principals: [app], templates: [read] }\n`;
  const found = errors(TEMPLATES + rule("a") + rule("b") + rule("a") + rule("a"));
  assert.deepEqual(found.map((p) => p.path), ["access[2].name", "access[3].name"]);
  assert.ok(found.every((p) => p.message.includes("access[0]")), JSON.stringify(found));
});

test("rule names: distinct names and unnamed rules load", () => {
  const yaml = `${TEMPLATES}
  - { name: one, tenants: [acme], principals: [app], templates: [read] }
  - { name: two, tenants: [acme], principals: [app], templates: [admin] }
  - { tenants: [acme], principals: [ops], templates: [read] }
  - { tenants: [acme], principals: [ops], templates: [admin] }
`;
  const r = parseConfig(yaml);
  assert.ok(r.ok, JSON.stringify(r.ok ? [] : r.problems));
});
