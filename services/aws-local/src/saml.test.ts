// AssumeRoleWithSAML with the unmodified SDK (sent unsigned) and assertions signed by a certificate
// this test makes: a good assertion gets credentials; tampering, signature wrapping, comment tricks,
// expiry, wrong audience and roles outside the assertion get AWS's errors.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { AssumeRoleWithSAMLCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { SeedInput } from "./seed/schema.js";
import { sdkError, startQuiet, stsClient, TEST_REGION } from "./testing/harness.js";
import { assertionXml, b64, makeTestIdp, responseXml, signedResponse, type AssertionSpec, type TestIdp } from "./testing/saml.js";

type Local = Awaited<ReturnType<typeof startQuiet>>;
const ACCT = "310987654321";
const ISSUER = "https://idp.corp.test.invalid/saml";
const PROVIDER = `arn:aws:iam::${ACCT}:saml-provider/corp-idp`;
const META_PROVIDER = `arn:aws:iam::${ACCT}:saml-provider/meta-idp`;
const ROLE = `arn:aws:iam::${ACCT}:role/saml-app`;
const OTHER_ROLE = `arn:aws:iam::${ACCT}:role/saml-other`;

function metadata(entityId: string, certPem: string): string {
  const body = certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, "");
  return (
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${entityId}">` +
    `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>` +
    `<ds:X509Certificate>${body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>`
  );
}

describe("AssumeRoleWithSAML", () => {
  let local: Local;
  let idp: TestIdp;
  let attacker: TestIdp;
  const anonymous = () => new STSClient({ region: TEST_REGION, endpoint: local.endpoint, maxAttempts: 1 });
  const spec = (extra: Partial<AssertionSpec> = {}): AssertionSpec => ({
    issuer: ISSUER,
    nameId: "alice@corp.test.invalid",
    roles: [`${ROLE},${PROVIDER}`, `${PROVIDER},${OTHER_ROLE}`],
    roleSessionName: "alice",
    ...extra,
  });
  const assume = (samlResponseXml: string, extra: { RoleArn?: string; PrincipalArn?: string; DurationSeconds?: number } = {}) =>
    anonymous().send(new AssumeRoleWithSAMLCommand({ RoleArn: ROLE, PrincipalArn: PROVIDER, SAMLAssertion: b64(samlResponseXml), ...extra }));

  before(async () => {
    idp = makeTestIdp("corp-idp");
    attacker = makeTestIdp("attacker");
    const trust = (provider: string, condition: Record<string, Record<string, string>>) => ({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow" as const, Principal: { Federated: provider }, Action: "sts:AssumeRoleWithSAML", Condition: condition }],
    });
    const seed: SeedInput = {
      account_id: ACCT,
      saml_providers: [
        { name: "corp-idp", certificate: idp.certificatePem, issuer: ISSUER },
        { name: "meta-idp", metadata_xml: metadata("https://meta-idp.test.invalid", idp.certificatePem) },
      ],
      roles: [
        { name: "saml-app", max_session_duration: 7200, trust_policy: trust(PROVIDER, { StringEquals: { "SAML:aud": "https://signin.aws.amazon.com/saml" } }) },
        { name: "saml-other", trust_policy: trust(PROVIDER, { StringEquals: { "SAML:sub": "bob@corp.test.invalid" } }) },
        { name: "saml-meta", trust_policy: trust(META_PROVIDER, {}) },
        {
          name: "saml-tagged",
          trust_policy: {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow" as const, Principal: { Federated: PROVIDER }, Action: ["sts:AssumeRoleWithSAML", "sts:TagSession"], Condition: { StringEquals: { "aws:RequestTag/dept": "eng" } } }],
          },
        },
      ],
    };
    local = await startQuiet({ seed });
  });
  after(async () => local.stop());
  beforeEach(async () => local.admin.reset());

  it("a signed assertion gets credentials and every reply field", async () => {
    const out = await assume(signedResponse(spec({ sessionDuration: 1800 }), idp), { DurationSeconds: 3600 });
    assert.match(out.Credentials?.AccessKeyId ?? "", /^ASIA[A-Z2-7]{16}$/);
    assert.equal(out.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCT}:assumed-role/saml-app/alice`);
    assert.equal(out.Subject, "alice@corp.test.invalid");
    assert.equal(out.SubjectType, "persistent");
    assert.equal(out.Issuer, ISSUER);
    assert.equal(out.Audience, "https://signin.aws.amazon.com/saml");
    assert.equal(out.NameQualifier, createHash("sha1").update(`${ISSUER}${ACCT}/corp-idp`).digest("base64"));
    // SessionDuration (1800) is shorter than DurationSeconds (3600): the shorter wins.
    const lifetime = (out.Credentials?.Expiration?.getTime() ?? 0) - Date.now();
    assert.ok(lifetime > 1790_000 && lifetime <= 1800_000, `lifetime ${lifetime}`);
    const c = out.Credentials;
    const me = await stsClient(local, { accessKeyId: c?.AccessKeyId ?? "", secretAccessKey: c?.SecretAccessKey ?? "", sessionToken: c?.SessionToken ?? "" }).send(
      new GetCallerIdentityCommand({}),
    );
    assert.equal(me.Arn, out.AssumedRoleUser?.Arn);
  });

  it("a provider seeded from IdP metadata verifies the same way", async () => {
    const out = await assume(signedResponse(spec({ issuer: "https://meta-idp.test.invalid", roles: [`arn:aws:iam::${ACCT}:role/saml-meta,${META_PROVIDER}`] }), idp), {
      RoleArn: `arn:aws:iam::${ACCT}:role/saml-meta`,
      PrincipalArn: META_PROVIDER,
    });
    assert.equal(out.Issuer, "https://meta-idp.test.invalid");
  });

  it("session tags come from PrincipalTag attributes and need sts:TagSession", async () => {
    const tagged = `arn:aws:iam::${ACCT}:role/saml-tagged`;
    const withTags = (dept: string) => spec({ roles: [`${tagged},${PROVIDER}`, `${ROLE},${PROVIDER}`], tags: { dept }, transitiveTagKeys: ["dept"] });
    const out = await assume(signedResponse(withTags("eng"), idp), { RoleArn: tagged });
    const view = await local.admin.session(out.Credentials?.AccessKeyId ?? "");
    assert.deepEqual(view?.sessionTags, { dept: "eng" });
    assert.deepEqual(view?.transitiveTagKeys, ["dept"]);
    assert.equal((await sdkError(() => assume(signedResponse(withTags("ops"), idp), { RoleArn: tagged }))).name, "AccessDenied");
    // saml-app's trust policy does not allow sts:TagSession.
    const err = await sdkError(() => assume(signedResponse(withTags("eng"), idp)));
    assert.equal(err.message, "Not authorized to perform sts:TagSession");
  });

  it("a role the assertion lists but whose trust condition (SAML:sub) fails is AccessDenied", async () => {
    const err = await sdkError(() => assume(signedResponse(spec(), idp), { RoleArn: OTHER_ROLE }));
    assert.equal(err.name, "AccessDenied");
    assert.equal(err.$metadata?.httpStatusCode, 403);
  });

  it("reads the NameID from the signed bytes: a comment inserted after signing changes nothing", async () => {
    const signed = signedResponse(spec({ nameId: "admin@corp.test.invalid.evil.example" }), idp);
    const commented = signed.replace("admin@corp.test.invalid.evil.example", "admin@corp.test.invalid<!---->.evil.example");
    assert.notEqual(commented, signed);
    const out = await assume(commented);
    assert.equal(out.Subject, "admin@corp.test.invalid.evil.example");
  });

  const wrapped = (): string => {
    // Classic wrapping: keep the genuinely signed assertion (so its signature still verifies) and
    // add a forged one the application might read instead.
    // add a forged one, carrying a copy of that signature, where the application might read it.
    const signed = signedResponse(spec(), idp);
    const signature = /<Signature[\s\S]*<\/Signature>/.exec(signed)?.[0] ?? "";
    assert.ok(signature.length > 0);
    const forged = assertionXml(spec({ nameId: "root@corp.test.invalid", id: "_forged" })).replace("</saml:Issuer>", `</saml:Issuer>${signature}`);
    return signed.replace("<samlp:Status>", `${forged}<samlp:Status>`);
  };

  const refusals: [string, () => string, string, number, { RoleArn?: string; PrincipalArn?: string }?][] = [
    ["a tampered assertion (NameID changed after signing)", () => signedResponse(spec(), idp).replace("alice@corp.test.invalid", "mallory@corp.test.invalid"), "InvalidIdentityTokenException", 400],
    ["a tampered Role attribute", () => signedResponse(spec(), idp).replace(`${ROLE},${PROVIDER}`, `arn:aws:iam::${ACCT}:role/saml-meta,${PROVIDER}`), "InvalidIdentityTokenException", 400, { RoleArn: `arn:aws:iam::${ACCT}:role/saml-meta` }],
    ["a signature-wrapping attempt (a second, forged Assertion)", wrapped, "InvalidIdentityTokenException", 400],
    ["an assertion signed by another key", () => signedResponse(spec(), attacker), "InvalidIdentityTokenException", 400],
    ["an unsigned assertion", () => responseXml(assertionXml(spec())), "InvalidIdentityTokenException", 400],
    ["an expired assertion", () => signedResponse(spec({ notOnOrAfterMs: Date.now() - 1000 }), idp), "ExpiredTokenException", 400],
    ["an assertion not valid yet", () => signedResponse(spec({ notBeforeMs: Date.now() + 600_000 }), idp), "InvalidIdentityTokenException", 400],
    ["another audience", () => signedResponse(spec({ audience: "https://sp.example.invalid" }), idp), "InvalidIdentityTokenException", 400],
    ["another issuer", () => signedResponse(spec({ issuer: "https://other-idp.invalid" }), idp), "InvalidIdentityTokenException", 400],
    ["a role not in the assertion", () => signedResponse(spec(), idp), "AccessDenied", 403, { RoleArn: `arn:aws:iam::${ACCT}:role/saml-meta` }],
    ["an unknown provider", () => signedResponse(spec(), idp), "InvalidIdentityTokenException", 400, { PrincipalArn: `arn:aws:iam::${ACCT}:saml-provider/nope` }],
    ["no RoleSessionName attribute", () => signedResponse({ ...spec(), roleSessionName: undefined } as AssertionSpec, idp), "InvalidIdentityTokenException", 400],
    ["a DOCTYPE", () => `<!DOCTYPE x [<!ENTITY e "x">]>${signedResponse(spec(), idp)}`, "InvalidIdentityTokenException", 400],
  ];
  for (const [what, make, name, status, extra] of refusals) {
    it(`refuses ${what}: ${name} ${status}`, async () => {
      const xml = make();
      const err = await sdkError(() => assume(xml, extra ?? {}));
      assert.equal(err.name, name, err.message);
      assert.equal(err.$metadata?.httpStatusCode, status);
      assert.ok(!err.message.includes(b64(xml).slice(0, 40)), "the assertion is never echoed");
      assert.equal((await local.admin.calls())["sts:AssumeRoleWithSAML"]?.ok ?? 0, 0);
    });
  }

  it("the signed response itself is fine before each tampering (the refusals above are not vacuous)", async () => {
    assert.ok((await assume(signedResponse(spec(), idp))).Credentials);
    // Moving the signed assertion into a wrapper element keeps its signature valid but is refused.
    const signed = signedResponse(spec(), idp);
    const start = signed.indexOf("<saml:Assertion");
    const end = signed.indexOf("</saml:Assertion>") + "</saml:Assertion>".length;
    const moved = signed.slice(0, start) + `<samlp:Extensions>${signed.slice(start, end)}</samlp:Extensions>` + signed.slice(end);
    const err = await sdkError(() => assume(moved));
    assert.equal(err.name, "InvalidIdentityTokenException");
  });

  it("DurationSeconds beyond the role maximum is a ValidationError", async () => {
    const err = await sdkError(() => assume(signedResponse(spec(), idp), { DurationSeconds: 10800 }));
    assert.equal(err.name, "ValidationError");
  });
});
