import { test } from "node:test";
import assert from "node:assert/strict";
import { planRequest } from "./plan.js";
import { input, okConfig, problemsOf } from "./test-fixtures.js";

const TEMPLATES = `
templates:
  web:
    kind: web_identity
    role_arn: arn:aws:iam::123456789012:role/web
    params: { email: { max_length: 100 } }
    web_identity: { issuers: ["https://idp.example.com"], audiences: [web-app] }
  other:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/app
`;

test("claims: an access rule's claim bindings render with the caller's values into the plan", () => {
  const config = okConfig(`${TEMPLATES}
access:
  - { tenants: ["*"], principals: ["*"], templates: [web], params: { email: [a@example.com] }, claims: { sub: "{{principal}}", email: "{{email}}", "custom:tenant": "t-{{tenant}}" } }
`);
  const plan = planRequest(config, input({ template: "web", params: { email: "a@example.com" }, federation: { webIdentityToken: "x.y.z" } }));
  assert.ok(plan.kind === "web_identity");
  assert.deepEqual(plan.expectedClaims, { sub: "demo-app", email: "a@example.com", "custom:tenant": "t-acme" });
});

test("claims: a rule without claims expects none", () => {
  // One tenant: unbound tokens are a warning there (across tenants, an error: see below).
  const config = okConfig(`${TEMPLATES}
access:
  - { tenants: [acme], principals: ["*"], templates: ["*"] }
`);
  const plan = planRequest(config, input({ template: "web", params: { email: "a@example.com" }, federation: { webIdentityToken: "x.y.z" } }));
  assert.ok(plan.kind === "web_identity");
  assert.deepEqual(plan.expectedClaims, {});
});

test("claims: lint refuses them on rules that reach other kinds, and unknown variables", () => {
  const wide = problemsOf(`${TEMPLATES}
access:
  - { tenants: ["*"], principals: ["*"], templates: ["*"], claims: { sub: "{{principal}}" } }
`);
  assert.ok(wide.some((p) => p.severity === "error" && p.path === "access[0].claims" && /only to web_identity/.test(p.message)), JSON.stringify(wide));
  const unknown = problemsOf(`${TEMPLATES}
access:
  - { tenants: ["*"], principals: ["*"], templates: [web], claims: { sub: "{{nobody}}" } }
`);
  assert.ok(unknown.some((p) => p.severity === "error" && p.path === "access[0].claims.sub" && /unknown variable/.test(p.message)), JSON.stringify(unknown));
});

test("web_identity templates need their issuer and audience allow-list; other kinds may not have one", () => {
  const missing = problemsOf(`
templates:
  web: { kind: web_identity, role_arn: "arn:aws:iam::123456789012:role/web" }
access: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]
`);
  assert.ok(missing.some((p) => p.severity === "error" && p.path === "templates.web" && /issuers/.test(p.message)), JSON.stringify(missing));
  const misplaced = problemsOf(`
templates:
  ar: { kind: assume_role, role_arn: "arn:aws:iam::123456789012:role/app", web_identity: { issuers: ["https://i.example.com"], audiences: [a] } }
access: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]
`);
  assert.ok(misplaced.some((p) => p.severity === "error" && p.path === "templates.ar.web_identity"), JSON.stringify(misplaced));
});

test("web_identity allow-lists: https issuers written as iss is, public RSA/EC keys only", () => {
  const problems = problemsOf(`
templates:
  web:
    kind: web_identity
    role_arn: "arn:aws:iam::123456789012:role/web"
    web_identity:
      issuers: ["http://idp.example.com", "https://idp.example.com/"]
      audiences: [a]
      jwks: { keys: [{ kty: RSA, n: abc }, { kty: EC, crv: P-256, x: a, y: b, d: secret }, { kty: oct, k: abc }] }
access: [{ tenants: ["*"], principals: ["*"], templates: ["*"], claims: { sub: "{{tenant}}:{{principal}}" } }]
`).filter((p) => p.severity === "error").map((p) => p.path);
  assert.deepEqual(problems, [
    "templates.web.web_identity.issuers[0]", "templates.web.web_identity.issuers[1]",
    "templates.web.web_identity.jwks.keys[0]", "templates.web.web_identity.jwks.keys[1]",
    "templates.web.web_identity.jwks.keys[2]", "templates.web.web_identity.jwks.keys[2].kty",
  ]);
});

const BEARER = `
templates:
  web:
    kind: web_identity
    role_arn: arn:aws:iam::123456789012:role/web
    params: { email: { max_length: 100 } }
    web_identity: { issuers: ["https://idp.example.com"], audiences: [web-app] }
  corp:
    kind: saml
    role_arn: arn:aws:iam::123456789012:role/corp
    saml_provider_arn: arn:aws:iam::123456789012:saml-provider/idp
`;
const errorAt = (yaml: string, path: string, pattern: RegExp) =>
  problemsOf(yaml).some((p) => p.severity === "error" && p.path === path && pattern.test(p.message));

test("claims: a claim bound to a parameter the request chooses binds nothing, unless the rule pins the parameter", () => {
  // The caller would send the victim's email as the parameter, with the victim's token.
  const free = `${BEARER}
access:
  - { tenants: [acme], principals: ["*"], templates: [web], claims: { sub: "{{principal}}", email: "{{email}}" } }
`;
  assert.ok(errorAt(free, "access[0].claims.email", /parameter the request chooses/), JSON.stringify(problemsOf(free)));
  const patterned = free.replace("templates: [web],", "templates: [web], params: { email: { pattern: \".*@example\\\\.com\" } },");
  assert.ok(errorAt(patterned, "access[0].claims.email", /parameter the request chooses/), "a pattern still lets the caller pick among many");
  const pinned = free.replace("templates: [web],", "templates: [web], params: { email: [ops@example.com] },");
  assert.equal(problemsOf(pinned).filter((p) => p.severity === "error").length, 0, JSON.stringify(problemsOf(pinned)));
});

test("claims: a rule reaching several tenants must bind a claim to {{tenant}}; with no claims at all it is refused", () => {
  // Principal names are unique only within a tenant: acme's "app" must not spend beta's "app" token.
  const byPrincipal = `${BEARER}
access:
  - { tenants: ["*"], principals: ["*"], templates: [web], claims: { sub: "{{principal}}" } }
`;
  assert.ok(errorAt(byPrincipal, "access[0].claims", /bind a claim to \{\{tenant\}\}/), JSON.stringify(problemsOf(byPrincipal)));
  const byBoth = byPrincipal.replace('sub: "{{principal}}"', 'sub: "{{tenant}}:{{principal}}"');
  assert.equal(problemsOf(byBoth).filter((p) => p.severity === "error").length, 0, JSON.stringify(problemsOf(byBoth)));
  const unbound = `${BEARER}
access:
  - { tenants: [acme, beta], principals: ["*"], templates: [web, corp] }
`;
  assert.ok(errorAt(unbound, "access[0]", /binds no claim.*another tenant/), JSON.stringify(problemsOf(unbound)));
  const oneTenant = unbound.replace("tenants: [acme, beta]", "tenants: [acme]");
  const problems = problemsOf(oneTenant);
  assert.equal(problems.filter((p) => p.severity === "error").length, 0, JSON.stringify(problems));
  assert.ok(problems.some((p) => p.severity === "warning" && p.path === "access[0]" && /binds no claim/.test(p.message)));
});

test("claims: SAML rules bind the NameID (or an attribute) into the plan", () => {
  const config = okConfig(`${BEARER}
access:
  - { tenants: ["*"], principals: ["*"], templates: [corp], claims: { NameID: "{{tenant}}:{{principal}}@corp.test" } }
`);
  const plan = planRequest(config, input({ template: "corp", federation: { samlAssertion: "PHNhbWxwOlJlc3BvbnNlLz4=" } }));
  assert.ok(plan.kind === "saml");
  assert.deepEqual(plan.expectedClaims, { NameID: "acme:demo-app@corp.test" });
});
