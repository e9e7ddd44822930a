// AssumeRoleWithSAML refusals beyond the signature checks of saml.test.ts, each from AWS's documentation:
// - "AssumeRoleWithSAML will not work on IAM Identity Center managed roles. These roles' names start
//   with AWSReservedSSO_" (STS API Reference, AssumeRoleWithSAML);
// - the RoleSessionName, SessionDuration and SourceIdentity attributes each contain one AttributeValue
//   (IAM User Guide, "Configure SAML assertions for the authentication response"): a second value is
//   not silently dropped;
// - a Response Destination, when present, names the AWS sign-in endpoint (SAML 2.0 Core 3.2.2: the
//   recipient must check it and discard the response otherwise).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { AssumeRoleWithSAMLCommand, STSClient } from "@aws-sdk/client-sts";
import type { SeedInput } from "./seed/schema.js";
import { sdkError, startQuiet, TEST_REGION } from "./testing/harness.js";
import { assertionXml, b64, makeTestIdp, responseXml, signAssertion, type AssertionSpec, type TestIdp } from "./testing/saml.js";

const ACCT = "310987654322";
const ISSUER = "https://idp.rules.test.invalid/saml";
const PROVIDER = `arn:aws:iam::${ACCT}:saml-provider/rules-idp`;
const ROLE = `arn:aws:iam::${ACCT}:role/saml-app`;
const SSO_ROLE = `arn:aws:iam::${ACCT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef`;
const ATTR = "https://aws.amazon.com/SAML/Attributes/";

describe("AssumeRoleWithSAML: documented refusals of roles and attributes", () => {
  let local: Awaited<ReturnType<typeof startQuiet>>;
  let idp: TestIdp;
  const spec = (extra: Partial<AssertionSpec> = {}): AssertionSpec => ({
    issuer: ISSUER,
    nameId: "alice@rules.test.invalid",
    roles: [`${ROLE},${PROVIDER}`, `${SSO_ROLE},${PROVIDER}`],
    roleSessionName: "alice",
    ...extra,
  });
  /** Signs an assertion with extra attributes (name -> values) and, optionally, another Destination. */
  const response = (extraAttributes: Readonly<Record<string, readonly string[]>> = {}, destination?: string, s = spec()) => {
    const attrs = Object.entries(extraAttributes)
      .map(([name, values]) => `<saml:Attribute Name="${name}">${values.map((v) => `<saml:AttributeValue>${v}</saml:AttributeValue>`).join("")}</saml:Attribute>`)
      .join("");
    const assertion = assertionXml(s).replace("</saml:AttributeStatement>", `${attrs}</saml:AttributeStatement>`);
    const xml = responseXml(assertion);
    const withDestination = destination === undefined ? xml : xml.replace('Destination="https://signin.aws.amazon.com/saml"', `Destination="${destination}"`);
    return signAssertion(withDestination, idp);
  };
  const assume = (xml: string, roleArn = ROLE) =>
    new STSClient({ region: TEST_REGION, endpoint: local.endpoint, maxAttempts: 1 }).send(
      new AssumeRoleWithSAMLCommand({ RoleArn: roleArn, PrincipalArn: PROVIDER, SAMLAssertion: b64(xml) }),
    );

  before(async () => {
    idp = makeTestIdp("rules-idp");
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow" as const, Principal: { Federated: PROVIDER }, Action: ["sts:AssumeRoleWithSAML", "sts:SetSourceIdentity"] }] };
    const seed: SeedInput = {
      account_id: ACCT,
      saml_providers: [{ name: "rules-idp", certificate: idp.certificatePem, issuer: ISSUER }],
      roles: [
        { name: "saml-app", trust_policy: trust },
        { name: "AWSReservedSSO_Admin_0123456789abcdef", path: "/aws-reserved/sso.amazonaws.com/", trust_policy: trust },
      ],
    };
    local = await startQuiet({ seed });
  });
  after(async () => local.stop());

  it("a well-formed assertion with one value per attribute gets credentials (control)", async () => {
    const out = await assume(response({ [`${ATTR}SessionDuration`]: ["1800"], [`${ATTR}SourceIdentity`]: ["alice"] }));
    assert.equal(out.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCT}:assumed-role/saml-app/alice`);
  });

  it("refuses an IAM Identity Center role (AWSReservedSSO_*) even when its trust policy allows", async () => {
    const error = await sdkError(() => assume(response(), SSO_ROLE));
    assert.equal(error.name, "AccessDenied");
    assert.equal(error.$metadata?.httpStatusCode, 403);
    assert.match(error.message, /AWSReservedSSO_/);
  });

  for (const [name, values] of [
    ["RoleSessionName", ["bob"]],
    ["SessionDuration", ["900", "1800"]],
    ["SourceIdentity", ["alice", "bob"]],
  ] as const) {
    it(`refuses a ${name} attribute with more than one value (InvalidIdentityToken)`, async () => {
      // RoleSessionName already has one value from the spec; the extra Attribute adds a second.
      const error = await sdkError(() => assume(response({ [`${ATTR}${name}`]: values })));
      assert.equal(error.name, "InvalidIdentityTokenException");
      assert.equal(error.$metadata?.httpStatusCode, 400);
      assert.match(error.message, new RegExp(`${name} attribute must have exactly one value`));
    });
  }

  it("refuses a Response whose Destination is not the AWS sign-in endpoint", async () => {
    const error = await sdkError(() => assume(response({}, "https://evil.test.invalid/acs")));
    assert.equal(error.name, "InvalidIdentityTokenException");
    assert.match(error.message, /Destination/);
    // A regional sign-in endpoint is an AWS one.
    const out = await assume(response({}, "https://us-east-1.signin.aws.amazon.com/saml"));
    assert.ok(out.Credentials?.AccessKeyId);
  });
});
