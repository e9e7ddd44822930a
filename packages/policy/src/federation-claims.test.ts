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
  - { tenants: ["*"], principals: ["*"], templates: [web], claims: { sub: "{{principal}}", email: "{{email}}", "custom:tenant": "t-{{tenant}}" } }
`);
  const plan = planRequest(config, input({ template: "web", params: { email: "a@example.com" }, federation: { webIdentityToken: "x.y.z" } }));
  assert.ok(plan.kind === "web_identity");
  assert.deepEqual(plan.expectedClaims, { sub: "demo-app", email: "a@example.com", "custom:tenant": "t-acme" });
});

test("claims: a rule without claims expects none", () => {
  const config = okConfig(`${TEMPLATES}
access:
  - { tenants: ["*"], principals: ["*"], templates: ["*"] }
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
access: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]
`).filter((p) => p.severity === "error").map((p) => p.path);
  assert.deepEqual(problems, [
    "templates.web.web_identity.issuers[0]", "templates.web.web_identity.issuers[1]",
    "templates.web.web_identity.jwks.keys[0]", "templates.web.web_identity.jwks.keys[1]",
    "templates.web.web_identity.jwks.keys[2]", "templates.web.web_identity.jwks.keys[2].kty",
  ]);
});
