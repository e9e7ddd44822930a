// Requests and configs that once got more than they should, or broke a promise of this package:
// each case here failed before the check it names existed.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CredvendError } from "@credvend/protocol";
import { parseConfig } from "./config.js";
import { natsAuthorization } from "./nats-auth.js";
import { planRequest } from "./plan.js";
import { defaultFederationName, federationName, roleSessionName, sourceIdentityFor } from "./session.js";
import { input, okConfig, oneTemplate, problemsOf } from "./test-fixtures.js";
import { FEDERATION_NAME_PATTERN, ROLE_SESSION_NAME_PATTERN, SOURCE_IDENTITY_PATTERN } from "./limits.js";

const errorsOf = (yaml: string) => problemsOf(yaml).filter((p) => p.severity === "error");
const allow = (resource: string, extra = "") =>
  oneTemplate(`    params: { bucket: { max_length: 40 }, prefix: { type: s3_prefix, max_length: 40 }, n: { type: integer, min: 0, max: 99 } }
    tags: { b: "{{bucket}}", p: "{{prefix}}", n: "{{n}}" }
    policy: { Statement: [{ Effect: Allow, Action: ["s3:GetObject"], Resource: "${resource}"${extra} }] }`);

// A wildcard joined to a variable by characters the variable's values can hold widens it to
// longer values: tenant "acme" with "{{tenant}}-*" also reaches tenant "acme-corp"'s buckets.
const reach: [resource: string, bad: boolean][] = [
  ["arn:aws:s3:::{{tenant}}-*", true],
  ["arn:aws:s3:::{{tenant}}_data*", true],
  ["arn:aws:s3:::{{tenant}}-logs-?", true],
  ["arn:aws:s3:::data-*{{tenant}}", true],
  ["arn:aws:s3:::{{bucket}}.x*", true],
  ["arn:aws:s3:::b/{{n}}0*", true],
  ["arn:aws:s3:::{{tenant}}*", true],
  ["arn:aws:s3:::b/{{tenant}}/*", false],
  ["arn:aws:s3:::{{tenant}}.logs/*", false],
  ["arn:aws:s3:::b/{{tenant}}/{{prefix}}*", false],
  ["arn:aws:s3:::b/*/{{tenant}}/x", false],
];
for (const [resource, bad] of reach) {
  test(`lint: wildcard reach ${resource} → ${bad ? "error" : "clean"}`, () => {
    const errors = errorsOf(allow(resource));
    assert.equal(errors.some((p) => p.path === "templates.t.policy.Statement[0].Resource" && /wildcard/.test(p.message)), bad, JSON.stringify(errors));
  });
}

test("lint: StringLike/ArnLike conditions are checked like resources; StringEquals is literal", () => {
  const cond = (op: string, v: string) => allow("arn:aws:s3:::b", `, Condition: { ${op}: { "s3:prefix": ["x", "${v}"] } }`);
  assert.ok(errorsOf(cond("StringLike", "{{tenant}}-*")).some((p) => p.path === 'templates.t.policy.Statement[0].Condition.StringLike["s3:prefix"][1]'));
  assert.ok(errorsOf(cond("ForAnyValue:StringLikeIfExists", "{{tenant}}*")).length > 0);
  assert.equal(errorsOf(cond("StringLike", "{{tenant}}/*")).length, 0);
  assert.equal(errorsOf(cond("StringEquals", "{{tenant}}-x")).length, 0);
});

test("lint: a variable in an Allow action must be an enum (else the request picks the action)", () => {
  const withAction = (params: string) => oneTemplate(`    params: { op: ${params} }
    policy: { Statement: [{ Effect: Allow, Action: "s3:{{op}}", Resource: "arn:aws:s3:::b/{{tenant}}/x" }] }`);
  assert.ok(errorsOf(withAction("{ max_length: 40 }")).some((p) => p.path === "templates.t.policy.Statement[0].Action" && /choose the action/.test(p.message)));
  assert.equal(errorsOf(withAction("{ type: enum, values: [GetObject, PutObject] }")).length, 0);
});

test("access: a {{binding}} in values or pattern is refused (a deny written so never denied)", () => {
  const cfg = (constraint: string) => oneTemplate(`    params: { bucket: { max_length: 40 } }
    policy: { Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::{{bucket}}/x" }] }`)
    + `  - { effect: deny, tenants: ["*"], principals: ["*"], templates: ["*"], params: { bucket: ${constraint} } }\n`;
  for (const c of ['{ pattern: "{{tenant}}-secret.*" }', '["{{tenant}}-secret"]', '{ values: ["{{tenant}}-secret"] }']) {
    const errors = errorsOf(cfg(c));
    assert.ok(errors.some((p) => p.path === "access[1].params.bucket" && /not a binding/.test(p.message)), `${c}: ${JSON.stringify(errors)}`);
  }
  // The binding forms keep working: the deny applies to the caller's own tenant-named bucket.
  const config = okConfig(cfg('"{{tenant}}-secret"'));
  assert.throws(() => planRequest(config, input({ template: "t", params: { bucket: "acme-secret" } })), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_NOT_ENTITLED");
  assert.doesNotThrow(() => planRequest(config, input({ template: "t", params: { bucket: "other-secret" } })));
});

test("identities: a NATS user without password or nkey is refused (nats-server would accept anyone)", () => {
  const r = parseConfig(`${oneTemplate("    description: x")}identities:\n  - { tenant: acme, principal: app }\n`);
  assert.ok(!r.ok && r.problems.some((p) => p.path === "identities[0]" && /password .* or an nkey/.test(p.message)));
  const config = okConfig(oneTemplate("    description: x"));
  assert.throws(() => natsAuthorization(config, { identities: [{ tenant: "acme", principal: "app" }] }), /password or an nkey/);
  assert.throws(() => natsAuthorization(config, { identities: [{ tenant: "acme", principal: "app", password: "" }] }), /password or an nkey/);
  assert.throws(() => natsAuthorization(config, { vendor: { user: "v" } }), /password or an nkey/);
});

test("config: refused passwords and nkeys are never repeated in messages", () => {
  const r = parseConfig(`${oneTemplate("    description: x")}identities:\n  - { tenant: acme, principal: app, password: hunter2-SECRET }\n  - { tenant: acme, principal: b, nkey: SUAMSEEDSECRET }\n`);
  assert.ok(!r.ok);
  assert.ok(r.problems.some((p) => p.path === "identities[0].password") && r.problems.some((p) => p.path === "identities[1].nkey"));
  for (const p of r.problems) assert.doesNotMatch(p.message, /SECRET/);
});

test("config: an alias bomb is a problem, not an exception", () => {
  let yaml = "x0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (let i = 1; i < 10; i++) yaml += `x${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(", ")}]\n`;
  const r = parseConfig(`${yaml}templates: {}\n`, { source: "bomb.yaml" });
  assert.ok(!r.ok && r.problems.length === 1 && /^bomb\.yaml: .*alias/.test(r.problems[0]?.message ?? ""));
});

test("config: a __proto__ key is refused rather than silently dropped", () => {
  const r = parseConfig(allow("arn:aws:s3:::b/{{tenant}}/x", ', Condition: { StringEquals: { __proto__: "x" } }').replace('tags: { b:', 'tags: { __proto__: v, b:'));
  assert.ok(!r.ok);
  const paths = r.problems.map((p) => p.path);
  assert.ok(paths.includes("templates.t.tags.__proto__") && paths.includes("templates.t.policy.Statement[0].Condition.StringEquals.__proto__"), JSON.stringify(paths));
});

test("federation_name: lint refuses characters and variable types STS's Name refuses", () => {
  const fed = (name: string) => `templates:
  f:
    kind: federation_token
    credential_source: { profile: p }
    federation_name: "${name}"
    params: { arnp: { type: arn }, s: { max_length: 8 } }
    tags: { a: "{{arnp}}", s: "{{s}}" }
    policy: { Statement: { Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/{{tenant}}/x" } }
access: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]
`;
  assert.ok(errorsOf(fed("a b {{principal}}")).some((p) => p.path === "templates.f.federation_name"));
  assert.ok(errorsOf(fed("{{arnp}}")).some((p) => p.path === "templates.f.federation_name"));
  assert.equal(errorsOf(fed("{{tenant}}.{{principal}}")).length, 0);
});

test("federation_name: a parameter the request types in can not name the federated user", () => {
  // {{tenant}}.{{s}} with s = "other-app" is the default name of another principal of the tenant.
  const fed = (name: string) => `templates:
  f:
    kind: federation_token
    credential_source: { profile: p }
    federation_name: "${name}"
    params: { s: { max_length: 8 }, team: { type: enum, values: [red, blue] } }
    tags: { s: "{{s}}", team: "{{team}}" }
    policy: { Statement: { Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/{{tenant}}/x" } }
access: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]
`;
  assert.ok(errorsOf(fed("{{tenant}}.{{s}}")).some((p) => p.path === "templates.f.federation_name" && /choose the federated user/.test(p.message)));
  assert.equal(errorsOf(fed("{{tenant}}.{{principal}}.{{team}}")).length, 0, "an enum's values are the template author's");
  const warned = (name: string) => problemsOf(fed(name)).filter((p) => p.severity === "warning" && p.path === "templates.f.federation_name");
  assert.ok(warned("{{principal}}").some((p) => /unique only within a tenant/.test(p.message)));
  assert.ok(warned("{{tenant}}-{{principal}}").some((p) => /render one name/.test(p.message)));
  assert.equal(warned("{{tenant}}.{{principal}}").length, 0);
});

test("federation_name: shortened names stay distinct per principal", () => {
  const a = federationName(`acme-${"p".repeat(40)}-1`);
  const b = federationName(`acme-${"p".repeat(40)}-2`);
  assert.notEqual(a, b);
  assert.match(a, FEDERATION_NAME_PATTERN);
  assert.equal(federationName("ab"), "ab");
});

const principalArb = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,63}$/);
const requestIdArb = fc.stringMatching(/^[A-Za-z0-9_-]{8,128}$/);

test("property: every principal / request id shape gives a valid session and federation name", () => {
  fc.assert(fc.property(principalArb, requestIdArb, principalArb, (principal, rid, tenant) => {
    assert.match(roleSessionName(tenant, principal, rid), ROLE_SESSION_NAME_PATTERN);
    assert.match(federationName(principal), FEDERATION_NAME_PATTERN);
    assert.match(federationName(`${tenant}-${principal}`), FEDERATION_NAME_PATTERN);
  }), { numRuns: 500 });
});

test("property: distinct inputs never share a shortened federation name", () => {
  fc.assert(fc.property(principalArb, principalArb, (a, b) => {
    fc.pre(a !== b);
    assert.notEqual(federationName(`t-${a}`), federationName(`t-${b}`));
  }), { numRuns: 500 });
});

// Principals are unique only within a tenant: every STS identity derived from one names its tenant.
const NAMES = okConfig(`
templates:
  ar: { kind: assume_role, role_arn: "arn:aws:iam::123456789012:role/app", policy_arns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] }
  ft: { kind: federation_token, credential_source: { profile: p }, policy_arns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] }
access:
  - { tenants: ["*"], principals: ["*"], templates: ["*"] }
  - { tenants: ["platform"], principals: ["*"], templates: ["*"], on_behalf_of: ["cust-*"] }
`);

test("names: two tenants' principals of one name never share a SourceIdentity, federated user or session name", () => {
  const plans = [
    { tenant: "acme", principal: "app" }, { tenant: "globex", principal: "app" },
    { tenant: "cust-a", principal: "app" }, { tenant: "platform", principal: "app", onBehalfOf: "cust-a" },
  ].map((who) => ({
    ar: planRequest(NAMES, input({ template: "ar", requestId: "req-same-id", ...who })),
    ft: planRequest(NAMES, input({ template: "ft", requestId: "req-same-id", ...who })),
  }));
  const distinct = (values: unknown[]) => assert.equal(new Set(values).size, values.length, JSON.stringify(values));
  distinct(plans.map((p) => p.ar.kind === "assume_role" && p.ar.sourceIdentity));
  distinct(plans.map((p) => p.ar.kind === "assume_role" && p.ar.roleSessionName));
  distinct(plans.map((p) => p.ft.kind === "federation_token" && p.ft.name));
  const first = plans[0]?.ar;
  assert.ok(first?.kind === "assume_role" && first.sourceIdentity === "acme.app" && first.roleSessionName === "acme.app.req-same-id");
});

test("property: qualified names fit STS and stay distinct for every tenant / principal / request id", () => {
  fc.assert(fc.property(principalArb, principalArb, principalArb, requestIdArb, (t1, t2, p, rid) => {
    fc.pre(t1 !== t2);
    for (const t of [t1, t2]) {
      assert.match(sourceIdentityFor(p, t), SOURCE_IDENTITY_PATTERN);
      assert.match(roleSessionName(t, p, rid), ROLE_SESSION_NAME_PATTERN);
      assert.match(defaultFederationName(t, p), FEDERATION_NAME_PATTERN);
    }
    assert.notEqual(sourceIdentityFor(p, t1), sourceIdentityFor(p, t2));
    assert.notEqual(roleSessionName(t1, p, rid), roleSessionName(t2, p, rid));
    assert.notEqual(defaultFederationName(t1, p), defaultFederationName(t2, p));
  }), { numRuns: 500 });
});

test("external_id: a request's own value (a parameter, the request id) can not choose it", () => {
  const ext = (id: string) => oneTemplate(`    params: { customer: { max_length: 40 } }\n    tags: { c: "{{customer}}" }\n    policy_arns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]\n    external_id: "${id}"`);
  for (const id of ["{{customer}}", "ext-{{request_id}}", "{{tenant}}-{{customer}}"]) {
    assert.ok(errorsOf(ext(id)).some((p) => p.path === "templates.t.external_id" && /choose the external id/.test(p.message)), id);
  }
  for (const id of ["ext-{{tenant}}", "{{tenant}}.{{principal}}", "fixed-id"]) assert.equal(errorsOf(ext(id)).length, 0, id);
});

test("saml: a provider the request names must be in the role's account; a template should pin it", () => {
  const yaml = `templates:\n  sa: { kind: saml, role_arn: "arn:aws:iam::123456789012:role/saml" }\naccess: [{ tenants: ["*"], principals: ["*"], templates: ["*"], claims: { NameID: "{{tenant}}:{{principal}}" } }]\n`;
  assert.ok(problemsOf(yaml).some((p) => p.severity === "warning" && p.path === "templates.sa" && /saml_provider_arn/.test(p.message)));
  const config = okConfig(yaml);
  const saml = (samlProviderArn: string) => planRequest(config, input({ template: "sa", federation: { samlAssertion: "PHNhbWw+", samlProviderArn } }));
  assert.ok(saml("arn:aws:iam::123456789012:saml-provider/corp").kind === "saml");
  for (const arn of ["arn:aws:iam::999999999999:saml-provider/evil", "arn:aws-cn:iam::123456789012:saml-provider/corp"]) {
    assert.throws(() => saml(arn), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_FEDERATION_INPUT" && e.field === "federation.saml_provider_arn", arn);
  }
});
