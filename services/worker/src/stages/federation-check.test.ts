import { test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import type { SamlPlan, WebIdentityCheck, WebIdentityPlan } from "@credvend/policy";
import { federationCheckStage } from "./federation-check.js";
import type { Planned, WorkerStageContext } from "../pipeline/types.js";
import { Finished } from "../pipeline/pipeline.js";

const ROLE = "arn:aws:iam::123456789012:role/r";
const PROVIDER = "arn:aws:iam::123456789012:saml-provider/idp";

function samlInput(sessionDuration: number, durationSeconds: number): Planned {
  const xml = `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a">` +
    `<saml:AttributeStatement><saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>${ROLE},${PROVIDER}</saml:AttributeValue></saml:Attribute>` +
    `<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/SessionDuration"><saml:AttributeValue>${sessionDuration}</saml:AttributeValue></saml:Attribute>` +
    `</saml:AttributeStatement></saml:Assertion></samlp:Response>`;
  const plan: SamlPlan = {
    kind: "saml", template: "s", effectiveTenant: "acme", callerTenant: "acme", principal: "app", requestId: "req-00000001", accessRule: "#0",
    durationSeconds, rateLimits: [], roleArn: ROLE, principalArn: PROVIDER, samlAssertion: Buffer.from(xml).toString("base64"), policyArns: [], expectedClaims: {},
  };
  return { plan } as unknown as Planned;
}

const ctx = { now: () => Date.now() } as unknown as WorkerStageContext;

test("a SAML session is shortened to the assertion's SessionDuration, never lengthened, never below STS's minimum", async () => {
  const stage = federationCheckStage();
  const duration = async (sessionDuration: number, requested: number) => {
    const out = await stage.run(samlInput(sessionDuration, requested), ctx);
    assert.ok(!(out instanceof Finished));
    return out.plan.durationSeconds;
  };
  assert.equal(await duration(1200, 3600), 1200);
  assert.equal(await duration(7200, 3600), 3600);
  assert.equal(await duration(600, 3600), 3600, "below 900 s STS itself caps the session");
});

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
function webIdentityInput(check: WebIdentityCheck | undefined, iss: string): Planned {
  const token = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ iss, aud: "app", sub: "u", exp: Math.floor(Date.now() / 1000) + 600 })}.c2ln`;
  const plan: WebIdentityPlan = {
    kind: "web_identity", template: "w", effectiveTenant: "acme", callerTenant: "acme", principal: "app", requestId: "req-00000001", accessRule: "#0",
    durationSeconds: 900, rateLimits: [], roleArn: ROLE, roleSessionName: "acme.app.req-00000001", webIdentityToken: token, policyArns: [], expectedClaims: {},
    ...(check === undefined ? {} : { webIdentityCheck: check }),
  };
  return { plan } as unknown as Planned;
}

test("a web identity token is checked against the allow-lists of the config it was planned with, and refused without them", async () => {
  const stage = federationCheckStage();
  const reason = (input: Planned) => Promise.resolve(stage.run(input, ctx)).then(() => "passed", (e: unknown) => (e instanceof CredvendError ? e.reason : String(e)));
  const check = { issuers: ["https://idp.example"], audiences: ["app"] };
  assert.equal(await reason(webIdentityInput(check, "https://evil.example")), "CV_ERR_WEB_IDENTITY_ISSUER");
  assert.equal(await reason(webIdentityInput(undefined, "https://idp.example")), "CV_ERR_STS_REJECTED_INPUT");
});
