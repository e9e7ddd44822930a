import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfigFile, parseConfig } from "./config.js";
import { DEMO, okConfig, problemsOf } from "./test-fixtures.js";

test("config: the issue-3 example loads without problems", () => {
  const r = parseConfig(DEMO);
  assert.ok(r.ok);
  assert.deepEqual(r.warnings, []);
  assert.equal(r.config.templates["s3-tenant-read"]?.params?.bucket?.type, "string");
});

test("config: JSON text loads too", () => {
  const json = JSON.stringify({ templates: { t: { kind: "session_token", credential_source: { profile: "p" } } }, access: [{ tenants: ["*"], principals: ["*"], templates: ["t"] }] });
  assert.ok(parseConfig(json).ok);
});

test("config: the result is deep-frozen", () => {
  const config = okConfig(DEMO);
  assert.ok(Object.isFrozen(config.templates["s3-tenant-read"]?.policy?.Statement));
  assert.throws(() => {
    (config.access as unknown as unknown[]).push({});
  }, TypeError);
});

const schemaCases: [name: string, yaml: string, path: string, fragment: string][] = [
  ["unknown top-level key", `${DEMO}\ntemplate: {}`, "template", 'unknown key "template" in the top level; did you mean "templates"?'],
  ["unknown template key", DEMO.replace("kind: assume_role", "kind: assume_role\n    role: x"), "templates.s3-tenant-read.role", 'unknown key "role"'],
  ["misspelt template key", DEMO.replace("kind: assume_role", "kind: assume_role\n    rol_arn: x"), "templates.s3-tenant-read.rol_arn", 'did you mean "role_arn"?'],
  ["misspelt param key", DEMO.replace('bucket: { pattern', 'bucket: { max_lenght: 3, pattern'), "templates.s3-tenant-read.params.bucket.max_lenght", 'did you mean "max_length"?'],
  ["misspelt statement key", DEMO.replace("Effect: Allow", "Effect: Allow\n          Actions: []"), "templates.s3-tenant-read.policy.Statement[0].Actions", 'did you mean "Action"?'],
  ["misspelt access rule key", DEMO.replace('  - tenants: ["acme"]', '  - tenant: ["acme"]'), "access[0].tenant", 'did you mean "tenants"?'],
  ["misspelt rate limit key", DEMO.replace("per_second: 20", "per_secnd: 20"), "rate_limits.per_principal.per_secnd", 'did you mean "per_second"?'],
  ["a key far from any", `${DEMO}\nzzzzzz: {}`, "zzzzzz", 'unknown key "zzzzzz" in the top level; check the spelling against the config reference'],
  ["unknown kind", DEMO.replace("kind: assume_role", "kind: assume_rol"), "templates.s3-tenant-read.kind", '"assume_rol"'],
  ["duration not a number", DEMO.replace("default: 900", "default: soon"), "templates.s3-tenant-read.duration.default", '"soon"'],
  ["bad param type", DEMO.replace('bucket: { pattern', 'bucket: { type: regex, pattern'), "templates.s3-tenant-read.params.bucket.type", ""],
  ["invalid regex", DEMO.replace('"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"', '"[a-z"'), "templates.s3-tenant-read.params.bucket.pattern", "not a pattern credvend can match"],
  ["bad Effect", DEMO.replace("Effect: Allow", "Effect: allow"), "templates.s3-tenant-read.policy.Statement[0].Effect", '"allow"'],
  ["bad template name", DEMO.replace("  s3-tenant-read:", "  S3 Read:"), 'templates["S3 Read"]', "template name"],
  ["bad rule effect", DEMO.replace('  - tenants: ["acme"]', '  - effect: permit\n    tenants: ["acme"]'), "access[0].effect", '"permit"'],
  ["bad glob", DEMO.replace('principals: ["demo-app", "batch-*"]', 'principals: ["demo app"]'), "access[0].principals[0]", "globs"],
  ["rate limit burst", DEMO.replace("burst: 40", "burst: -1"), "rate_limits.per_principal.burst", "-1"],
  ["literal password in identities", `${DEMO}\nidentities: [{ tenant: acme, principal: demo-app, password: hunter2 }]`, "identities[0].password", "$ENV_VAR"],
  ["tag value not a string", DEMO.replace('tags: { tenant: "{{tenant}}" }', "tags: { n: 1 }"), "templates.s3-tenant-read.tags.n", "(got 1)"],
];

for (const [name, yaml, path, fragment] of schemaCases) {
  test(`config: ${name} is refused with path and value`, () => {
    const r = parseConfig(yaml);
    assert.equal(r.ok, false);
    if (r.ok) return;
    const show = r.problems.map((p) => `${p.path}: ${p.message}`).join("\n");
    assert.ok(r.problems.some((p) => p.path === path && p.message.includes(fragment)), `expected ${path} ~ ${fragment}, got:\n${show}`);
  });
}

test("config: YAML syntax errors and duplicate keys are refused", () => {
  for (const text of ["templates: [", "templates:\n  a: {kind: session_token}\n  a: {kind: session_token}\n"]) {
    const r = parseConfig(text);
    assert.equal(r.ok, false);
  }
});

test("config: lint errors make ok false, warnings do not", () => {
  const bad = problemsOf(DEMO.replace('"arn:aws:s3:::{{bucket}}",', '"*",'));
  assert.ok(bad.some((p) => p.severity === "error" && p.path === "templates.s3-tenant-read.policy.Statement[0].Resource[0]"));
  assert.equal(parseConfig(DEMO.replace('"arn:aws:s3:::{{bucket}}",', '"*",')).ok, false);
  const warnOnly = parseConfig(DEMO.replace('templates: ["s3-tenant-read"]', 'templates: ["s3-tenant-read", "nothing-*"]'));
  assert.ok(warnOnly.ok);
});

test("config: access-rule lint", () => {
  const typo = problemsOf(DEMO.replace("params: { bucket: [\"acme-data\"] }", "params: { buckt: [\"acme-data\"] }"));
  assert.ok(typo.some((p) => p.severity === "error" && p.path === "access[0].params.buckt" && p.message.includes("s3-tenant-read") && p.message.includes("no such parameter")));
  const binding = problemsOf(DEMO.replace("params: { bucket: [\"acme-data\"] }", 'params: { bucket: "{{tenant_id}}" }'));
  assert.ok(binding.some((p) => p.severity === "error" && p.path === "access[0].params.bucket" && p.message.includes("{{tenant_id}}")));
  const deny = problemsOf(DEMO.replace("rate_limits:", '  - { effect: deny, tenants: ["*"], principals: ["*"], templates: ["*"], max_duration: 900 }\nrate_limits:'));
  assert.ok(deny.some((p) => p.severity === "error" && p.path === "access[1].max_duration" && p.message.includes("deny rule")));
  const perTemplate = problemsOf(DEMO.replace("  per_tenant:", "  per_template: { nope: { per_second: 1, burst: 1 } }\n  per_tenant:"));
  assert.ok(perTemplate.some((p) => p.severity === "error" && p.path === "rate_limits.per_template.nope"));
});

test("config: loadConfigFile reads a file and names it in messages", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "credvend-policy-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, "good.yaml");
  writeFileSync(good, DEMO);
  assert.ok(loadConfigFile(good).ok);
  const bad = join(dir, "bad.yaml");
  writeFileSync(bad, DEMO.replace("kind: assume_role", "kind: nope"));
  const r = loadConfigFile(bad);
  assert.ok(!r.ok && r.problems[0]?.message.startsWith(bad));
  const missing = loadConfigFile(join(dir, "missing.yaml"));
  assert.ok(!missing.ok && missing.problems[0]?.message.includes("ENOENT"));
});

test("config: a misspelt template name in an access rule or a rate limit gets the nearest template", () => {
  const rule = parseConfig(DEMO.replace('templates: ["s3-tenant-read"]', 'templates: ["s3-tenant-raed"]'));
  const warnings = rule.ok ? rule.warnings : rule.problems;
  assert.ok(warnings.some((p) => p.path === "access[0].templates" && p.message.endsWith('matches no template; did you mean "s3-tenant-read"?')), JSON.stringify(warnings));
  const limit = parseConfig(`${DEMO.replace("rate_limits:", 'rate_limits:\n  per_template: { s3-tenant-red: { per_second: 1, burst: 1 } }')}`);
  assert.equal(limit.ok, false);
  if (limit.ok) return;
  assert.ok(limit.problems.some((p) => p.path === "rate_limits.per_template.s3-tenant-red" && p.message === 'no template is named "s3-tenant-red"; did you mean "s3-tenant-read"?'), JSON.stringify(limit.problems));
});
