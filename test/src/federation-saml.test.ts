// AssumeRoleWithSAML end to end: NATS, the worker, aws-local with a SAML provider whose certificate
// this test makes. The worker refuses what it can see without the signature (expired, wrapped,
// a role the assertion does not grant) before any STS call; tampering is for STS's signature
// check. No assertion ever appears in the worker's trace-level log.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { b64, signedResponse, assertionXml, type AssertionSpec } from "@credvend/aws-local/testing/saml";
import { uniqueName } from "@credvend/testkit";
import { startHarness, type Harness } from "./support/harness.js";
import {
  assertNoSecrets, federationSeed, makeOidcKey, makeTestIdp, SAML_ISSUER, SAML_PROVIDER_ARN, SAML_ROLE_ARN, type TestIdp,
} from "./support/federation.js";
import { refusal } from "./support/outcome.js";

const CALLER = "demo-app";

describe("SAML through the worker", () => {
  let h: Harness;
  let idp: TestIdp;
  const tenant = uniqueName("saml");
  const lines: string[] = [];
  const secrets: string[] = [];
  const samlCalls = async () => (await h.awsLocal.admin.calls())["sts:AssumeRoleWithSAML"]?.total ?? 0;
  const spec = (extra: Partial<AssertionSpec> = {}): AssertionSpec => ({
    issuer: SAML_ISSUER, nameId: "alice@corp.test", roles: [`${SAML_ROLE_ARN},${SAML_PROVIDER_ARN}`], roleSessionName: "alice", ...extra,
  });
  const vend = (xml: string) => {
    const samlAssertion = b64(xml);
    secrets.push(samlAssertion);
    return h.client(tenant, CALLER, { attempts: 1 }).request({ template: "saml-read", federation: { samlAssertion } });
  };

  before(async () => {
    idp = makeTestIdp("credvend-test-idp");
    h = await startHarness({
      seed: federationSeed(await makeOidcKey(), idp),
      env: { CREDVEND_LOG_LEVEL: "trace" },
      logLines: lines,
      config: `templates:
  saml-read:
    kind: saml
    role_arn: ${SAML_ROLE_ARN}
    saml_provider_arn: ${SAML_PROVIDER_ARN}
    duration: { default: 3600 }
    policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::credvend-saml/{{tenant}}/*" }] }
access:
  - { tenants: ["${tenant}"], principals: [${CALLER}], templates: [saml-read] }
`,
    });
  });
  after(async () => {
    await h?.stop();
  });

  test("an assertion signed by the IdP's certificate gets credentials for the role, scoped by the rendered policy", async () => {
    const before = await samlCalls();
    const creds = await vend(signedResponse(spec(), idp));
    secrets.push(creds.secretAccessKey, creds.sessionToken);
    assert.match(creds.arn, /^arn:aws:sts::000000000000:assumed-role\/saml-reader\/alice$/);
    assert.equal(await samlCalls(), before + 1);
    const session = await h.awsLocal.admin.session(creds.accessKeyId);
    assert.equal(session?.roleArn, SAML_ROLE_ARN);
    assert.deepEqual(session?.sessionPolicy, {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::credvend-saml/${tenant}/*` }],
    });
  });

  test("the session lasts no longer than the assertion's SessionDuration allows", async () => {
    const creds = await vend(signedResponse(spec({ sessionDuration: 1200 }), idp));
    secrets.push(creds.secretAccessKey, creds.sessionToken);
    const lasts = (creds.expiration.getTime() - Date.now()) / 1000;
    assert.ok(lasts <= 1200 && lasts > 1100, `lasts ${lasts} s`);
  });

  test("a tampered assertion passes the worker's cheap checks but not STS's signature check: UNAUTHENTICATED", async () => {
    const before = await samlCalls();
    const tampered = signedResponse(spec(), idp).replace("alice@corp.test", "admin@corp.test");
    const error = await refusal(vend(tampered));
    assert.equal(`${error.code} ${error.reason}`, "UNAUTHENTICATED CV_ERR_STS_TOKEN_REJECTED");
    assert.equal(await samlCalls(), before + 1);
  });

  test("wrapped, expired and role-less assertions are refused by the worker, each with its own reason, without an STS call", async () => {
    const before = await samlCalls();
    const signed = signedResponse(spec(), idp);
    // Signature wrapping: a forged, unsigned assertion for another role beside the signed one.
    const forged = assertionXml(spec({ nameId: "mallory@corp.test", roles: [`arn:aws:iam::000000000000:role/credvend-demo,${SAML_PROVIDER_ARN}`], id: "_forged" }));
    const wrapped = signed.replace("<saml:Assertion ", `${forged}<saml:Assertion `);
    const now = Date.now();
    const cases: [string, string, string, string][] = [
      ["signature wrapping", wrapped, "INVALID_ARGUMENT", "CV_ERR_SAML_MALFORMED"],
      ["expired", signedResponse(spec({ notBeforeMs: now - 600_000, notOnOrAfterMs: now - 1000 }), idp), "UNAUTHENTICATED", "CV_ERR_SAML_EXPIRED"],
      ["role not in the assertion", signedResponse(spec({ roles: [`arn:aws:iam::000000000000:role/other,${SAML_PROVIDER_ARN}`] }), idp), "PERMISSION_DENIED", "CV_ERR_SAML_ROLE_NOT_GRANTED"],
      ["not XML", "<<<not xml", "INVALID_ARGUMENT", "CV_ERR_SAML_MALFORMED"],
      ["larger than STS accepts", `${signed}<!--${"x".repeat(80_000)}-->`, "INVALID_ARGUMENT", "CV_ERR_FEDERATION_INPUT"],
      ["a DOCTYPE", `<!DOCTYPE x [<!ENTITY a "b">]>${signed}`, "INVALID_ARGUMENT", "CV_ERR_SAML_MALFORMED"],
    ];
    for (const [label, xml, code, reason] of cases) {
      const error = await refusal(vend(xml));
      assert.equal(`${error.code} ${error.reason}`, `${code} ${reason}`, label);
      assert.equal(error.field, "federation.saml_assertion", label);
    }
    assert.equal(await samlCalls(), before, "none of them reached STS");
  });

  test("the worker's trace-level log holds none of the assertions or issued secrets", (t) => {
    t.diagnostic(`${lines.length} log lines, ${secrets.length} secrets looked for`);
    assertNoSecrets(lines, secrets);
  });
});
