import { test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { checkSamlAssertion, type SamlCheckResult } from "./saml-check.js";

const NOW = Date.parse("2027-01-01T00:00:00Z");
const ROLE = "arn:aws:iam::123456789012:role/r";
const PROVIDER = "arn:aws:iam::123456789012:saml-provider/idp";
const iso = (ms: number) => new Date(ms).toISOString();

function assertion(o: { roles?: string[]; notOnOrAfter?: number; notBefore?: number; sessionDuration?: string; sessionNotOnOrAfter?: number; id?: string } = {}): string {
  const attr = (name: string, values: string[]) => `<saml:Attribute Name="${name}">${values.map((v) => `<saml:AttributeValue>${v}</saml:AttributeValue>`).join("")}</saml:Attribute>`;
  return `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${o.id ?? "_a1"}">` +
    `<saml:Conditions NotBefore="${iso(o.notBefore ?? NOW - 60_000)}" NotOnOrAfter="${iso(o.notOnOrAfter ?? NOW + 300_000)}"/>` +
    `<saml:AuthnStatement${o.sessionNotOnOrAfter === undefined ? "" : ` SessionNotOnOrAfter="${iso(o.sessionNotOnOrAfter)}"`}/>` +
    `<saml:AttributeStatement>${attr("https://aws.amazon.com/SAML/Attributes/Role", o.roles ?? [`${PROVIDER},${ROLE}`])}` +
    (o.sessionDuration === undefined ? "" : attr("https://aws.amazon.com/SAML/Attributes/SessionDuration", [o.sessionDuration])) +
    `</saml:AttributeStatement></saml:Assertion>`;
}
const response = (inner: string) => `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">${inner}</samlp:Response>`;
const b64 = (xml: string) => Buffer.from(xml).toString("base64");

function run(xmlOrBase64: string, raw = false): SamlCheckResult | string {
  try {
    return checkSamlAssertion({ template: "t", assertionBase64: raw ? xmlOrBase64 : b64(xmlOrBase64), roleArn: ROLE, providerArn: PROVIDER, nowMs: NOW });
  } catch (error) {
    assert.ok(error instanceof CredvendError);
    return error.reason;
  }
}

test("a current assertion granting the role passes; the session is capped by SessionDuration and SessionNotOnOrAfter", () => {
  assert.deepEqual(run(response(assertion())), {});
  assert.deepEqual(run(response(assertion({ sessionDuration: "1800" }))), { maxSessionSeconds: 1800 });
  assert.deepEqual(run(response(assertion({ sessionDuration: "7200", sessionNotOnOrAfter: NOW + 1000_000 }))), { maxSessionSeconds: 1000 });
});

test("malformed, wrapped, expired and role-less assertions each have their reason", () => {
  assert.equal(run("not base64!", true), "CV_ERR_SAML_MALFORMED");
  assert.equal(run("<a><b></a>"), "CV_ERR_SAML_MALFORMED");
  assert.equal(run(`<!DOCTYPE r>${response(assertion())}`), "CV_ERR_SAML_MALFORMED");
  assert.equal(run(assertion()), "CV_ERR_SAML_MALFORMED", "a bare Assertion is not a Response");
  assert.equal(run(response(assertion() + assertion({ id: "_a2" }))), "CV_ERR_SAML_MALFORMED", "two assertions (wrapping)");
  assert.equal(run(response(assertion({ notOnOrAfter: NOW }))), "CV_ERR_SAML_EXPIRED");
  assert.equal(run(response(assertion({ notBefore: NOW + 600_000 }))), "CV_ERR_SAML_EXPIRED");
  assert.equal(run(response(assertion({ roles: [`${PROVIDER},arn:aws:iam::123456789012:role/other`] }))), "CV_ERR_SAML_ROLE_NOT_GRANTED");
  assert.equal(run(response(assertion({ roles: [`arn:aws:iam::123456789012:saml-provider/other,${ROLE}`] }))), "CV_ERR_SAML_ROLE_NOT_GRANTED");
});

test("a hostile assertion is refused in linear time: line breaks once made the base64 check take seconds", () => {
  // 100,000 characters (the most a request may carry): the old pattern needed ~20 s of one worker's CPU for this.
  const hostile = `A${"\n".repeat(99_990)}!`;
  const started = performance.now();
  assert.equal(run(hostile, true), "CV_ERR_SAML_MALFORMED");
  assert.ok(performance.now() - started < 250, `took ${Math.round(performance.now() - started)} ms`);
  // Line breaks inside and after the base64 text (as IdPs wrap it) are still accepted.
  const wrapped = b64(response(assertion())).replace(/(.{76})/g, "$1\r\n");
  assert.deepEqual(run(`${wrapped}\n`, true), {});
});

test("an assertion whose IdP session has already ended is refused before STS, not sent with a negative cap", () => {
  assert.equal(run(response(assertion({ sessionNotOnOrAfter: NOW - 1000 }))), "CV_ERR_SAML_EXPIRED");
  assert.equal(run(response(assertion({ sessionNotOnOrAfter: NOW }))), "CV_ERR_SAML_EXPIRED");
});

test("claims the access rule binds: the NameID and attributes must hold exactly the caller's value", () => {
  const subject = (nameId: string) => `<saml:Subject xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:NameID>${nameId}</saml:NameID></saml:Subject>`;
  const withSubject = (nameId: string, extra = "") => response(assertion().replace("<saml:Conditions", `${subject(nameId)}${extra}<saml:Conditions`));
  const check = (xml: string, expectedClaims: Record<string, string>) => {
    try {
      return checkSamlAssertion({ template: "t", assertionBase64: b64(xml), roleArn: ROLE, providerArn: PROVIDER, expectedClaims, nowMs: NOW });
    } catch (error) {
      assert.ok(error instanceof CredvendError);
      assert.ok(!error.message.includes("bob@"), "the refusal does not quote the assertion");
      return error.reason;
    }
  };
  assert.deepEqual(check(withSubject("acme:alice@corp.test"), { NameID: "acme:alice@corp.test" }), {});
  assert.equal(check(withSubject("beta:bob@corp.test"), { NameID: "acme:alice@corp.test" }), "CV_ERR_SAML_CLAIM_MISMATCH", "another tenant's user");
  assert.equal(check(response(assertion()), { NameID: "acme:alice@corp.test" }), "CV_ERR_SAML_CLAIM_MISMATCH", "no NameID at all");
  const tenantAttr = (values: string[]) => `<saml:AttributeStatement xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Attribute Name="https://corp.test/tenant">${values.map((v) => `<saml:AttributeValue>${v}</saml:AttributeValue>`).join("")}</saml:Attribute></saml:AttributeStatement>`;
  assert.deepEqual(check(withSubject("x", tenantAttr(["acme"])), { "https://corp.test/tenant": "acme" }), {});
  assert.equal(check(withSubject("x", tenantAttr(["beta", "acme"])), { "https://corp.test/tenant": "acme" }), "CV_ERR_SAML_CLAIM_MISMATCH", "a second value is not the caller's alone");
  const encrypted = response(`<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"/>`);
  assert.deepEqual(check(encrypted, {}), {}, "unbound: STS decides alone");
  assert.equal(check(encrypted, { NameID: "acme:alice@corp.test" }), "CV_ERR_SAML_CLAIM_MISMATCH", "bound but unreadable: refused");
});
