import { test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError, type Reason } from "@credvend/protocol";
import { planRequest } from "./plan.js";
import { describePlan, REDACTED } from "./describe.js";
import { roleSessionName } from "./session.js";
import type { VendInput } from "./plan-inputs.js";
import { DEMO, input, okConfig } from "./test-fixtures.js";

const ALL = okConfig(`
templates:
  ar:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/app
    params: { team: { type: enum, values: [red, blue], default: red } }
    policy: { Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/{{tenant}}/*" }] }
    policy_arns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    tags: { team: "{{team}}", Cost-Center: "cc-{{tenant}}" }
    transitive_tag_keys: [team, credvend-tenant, credvend-caller-tenant]
    external_id: "ext-{{tenant}}"
    mfa: { required: true }
  reuse:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/app
    policy: { Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/{{tenant}}/*" }] }
    source_identity: false
    reuse: { min_remaining_seconds: 300 }
  wi:
    kind: web_identity
    role_arn: arn:aws:iam::123456789012:role/web
    duration: { default: 1800 }
    web_identity: { issuers: ["https://idp.example.com"], audiences: [web-app] }
  sa:
    kind: saml
    role_arn: arn:aws:iam::123456789012:role/saml
    saml_provider_arn: arn:aws:iam::123456789012:saml-provider/corp
  st:
    kind: session_token
    credential_source: { profile: vend-st }
  ft:
    kind: federation_token
    credential_source: { profile: vend-ft }
    federation_name: "{{tenant}}-{{principal}}"
    policy: { Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/{{tenant}}/*" }] }
access:
  - { tenants: [acme], principals: ["*"], templates: ["*"] }
`);

const MFA = { serialNumber: "arn:aws:iam::123456789012:mfa/ops", tokenCode: "918273" };

function refused(i: VendInput, reason: Reason, field?: string): void {
  assert.throws(() => planRequest(ALL, i), (e: unknown) => e instanceof CredvendError && e.reason === reason && (field === undefined || e.field === field) && !e.message.includes("918273") && !e.message.includes("SECRET"));
}

test("plan: assume_role carries tags, transitive keys, source identity, external id, MFA", () => {
  const p = planRequest(ALL, input({ template: "ar", mfa: MFA }));
  assert.equal(p.kind, "assume_role");
  if (p.kind !== "assume_role") return;
  assert.equal(p.roleArn, "arn:aws:iam::123456789012:role/app");
  assert.deepEqual(p.tags.map((t) => `${t.key}=${t.value}`), ["team=red", "Cost-Center=cc-acme", "credvend-tenant=acme", "credvend-principal=demo-app", `credvend-request-id=${p.requestId}`]);
  assert.deepEqual(p.transitiveTagKeys, ["team", "credvend-tenant"], "keys of tags not present (caller-tenant) are left out");
  assert.equal(p.sourceIdentity, "acme.demo-app");
  assert.equal(p.externalId, "ext-acme");
  assert.equal(p.serialNumber, MFA.serialNumber);
  assert.equal(p.tokenCode, "918273");
  assert.deepEqual(p.policyArns, ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
  assert.equal(p.durationSeconds, 3600);
  assert.equal(p.roleSessionName, `acme.demo-app.${p.requestId}`);
  assert.ok(Object.isFrozen(p) && Object.isFrozen(p.tags));
});

test("plan: MFA required, and malformed MFA input, are refused without echoing the code", () => {
  refused(input({ template: "ar" }), "CV_ERR_MFA_REQUIRED", "mfa");
  refused(input({ template: "ar", mfa: { serialNumber: MFA.serialNumber, tokenCode: "12345x" } }), "CV_ERR_REQUEST_FIELD", "mfa.token_code");
  refused(input({ template: "ar", mfa: { serialNumber: "short", tokenCode: "918273" } }), "CV_ERR_REQUEST_FIELD", "mfa.serial_number");
});

test("plan: web identity and SAML need their federation input", () => {
  const w = planRequest(ALL, input({ template: "wi", federation: { webIdentityToken: "SECRET.jwt.token" } }));
  assert.equal(w.kind, "web_identity");
  assert.equal(w.durationSeconds, 1800);
  refused(input({ template: "wi" }), "CV_ERR_FEDERATION_INPUT", "federation.web_identity_token");
  const s = planRequest(ALL, input({ template: "sa", federation: { samlAssertion: "SECRETbase64==" } }));
  assert.ok(s.kind === "saml" && s.principalArn === "arn:aws:iam::123456789012:saml-provider/corp");
  refused(input({ template: "sa" }), "CV_ERR_FEDERATION_INPUT", "federation.saml_assertion");
  refused(input({ template: "sa", federation: { samlAssertion: "SECRETbase64==", samlProviderArn: "arn:aws:iam::123456789012:saml-provider/other" } }), "CV_ERR_FEDERATION_INPUT", "federation.saml_provider_arn");
});

test("plan: session_token and federation_token", () => {
  const st = planRequest(ALL, input({ template: "st", mfa: MFA }));
  assert.ok(st.kind === "session_token" && st.durationSeconds === 43200 && st.tokenCode === "918273");
  const ft = planRequest(ALL, input({ template: "ft", principal: "a-very-long-principal-name-for-federation" }));
  assert.ok(ft.kind === "federation_token");
  if (ft.kind !== "federation_token") return;
  assert.equal(ft.name.length, 32);
  assert.match(ft.name, /^[\w+=,.@-]{2,32}$/);
  assert.ok(ft.tags.some((t) => t.key === "credvend-tenant"));
});

test("plan: describePlan masks every secret and names the STS call", () => {
  const plans = [
    planRequest(ALL, input({ template: "ar", mfa: MFA })),
    planRequest(ALL, input({ template: "wi", federation: { webIdentityToken: "SECRET.jwt.token", providerId: "www.amazon.com" } })),
    planRequest(ALL, input({ template: "sa", federation: { samlAssertion: "SECRETbase64==" } })),
    planRequest(ALL, input({ template: "st", mfa: MFA })),
  ];
  const calls = plans.map((p) => describePlan(p).call);
  assert.deepEqual(calls, ["AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "GetSessionToken"]);
  for (const p of plans) {
    const text = JSON.stringify(describePlan(p));
    assert.ok(!text.includes("918273") && !text.includes("SECRET"), text);
  }
  const d = describePlan(plans[0]!) as { request: Record<string, unknown> };
  assert.equal(d.request.TokenCode, REDACTED);
  assert.equal(d.request.RoleSessionName, (plans[0] as { roleSessionName: string }).roleSessionName);
  assert.equal(typeof d.request.Policy, "string");
});

test("plan: reuse key ignores per-request fields but not identity", () => {
  const a = planRequest(ALL, input({ template: "reuse" }));
  const b = planRequest(ALL, input({ template: "reuse" }));
  const c = planRequest(ALL, input({ template: "reuse", principal: "other" }));
  assert.ok(a.cacheable !== undefined && a.cacheable.key.startsWith("acme:reuse:"));
  assert.equal(a.cacheable.key, b.cacheable?.key);
  assert.notEqual(a.cacheable.key, c.cacheable?.key);
  assert.equal(a.kind === "assume_role" && a.sourceIdentity, undefined);
  assert.equal(planRequest(ALL, input({ template: "ar", mfa: MFA })).cacheable, undefined);
});

test("plan: role session names fit STS for every length", () => {
  const long = "p".repeat(64);
  for (const [principal, rid] of [["a", "12345678"], [long, "r".repeat(128)], [long, "abcdefgh"], ["svc", "x".repeat(100)]] as const) {
    const name = roleSessionName("t".repeat(64), principal, rid);
    assert.match(name, /^[\w+=,.@-]{2,64}$/);
  }
  assert.notEqual(roleSessionName("acme", long, `${"r".repeat(100)}1`), roleSessionName("acme", long, `${"r".repeat(100)}2`));
});

test("plan: request identity fields are checked", () => {
  const demo = okConfig(DEMO);
  assert.throws(() => planRequest(demo, input({ template: "s3-tenant-read", requestId: "short" })), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_REQUEST_FIELD");
  assert.throws(() => planRequest(demo, input({ template: "s3-tenant-read", tenant: "ACME" })), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_REQUEST_SUBJECT");
});

test("plan: role chaining option caps durations", () => {
  const c = okConfig(`
templates:
  t: { kind: assume_role, role_arn: "arn:aws:iam::123456789012:role/r", policy_arns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] }
access: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]
`, { vendorUsesRoleCredentials: true });
  assert.equal(planRequest(c, input({ template: "t", durationSeconds: 3600 }), { vendorUsesRoleCredentials: true }).durationSeconds, 3600);
  assert.throws(() => planRequest(c, input({ template: "t", durationSeconds: 7200 }), { vendorUsesRoleCredentials: true }), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_DURATION_INVALID" && /900-3600 .*role chaining/.test(e.message));
  // Without chaining the refusal names the call's own STS range.
  assert.throws(() => planRequest(c, input({ template: "t", durationSeconds: 43_201 })), (e: unknown) => e instanceof CredvendError && /900-43200 .*STS AssumeRole takes 900-43200/.test(e.message));
});
