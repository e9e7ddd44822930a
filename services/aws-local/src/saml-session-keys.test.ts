// A session from AssumeRoleWithSAML carries the SAML keys AWS documents for permission policies
// (saml:namequalifier, saml:sub, saml:sub_type) into its later calls, and only those; a role
// chained from it does not. IAM User Guide, "IAM and AWS STS condition context keys" > "SAML role
// permissions policies", and "About SAML 2.0-based federation" > "Uniquely identifying users".
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DescribeKeyCommand, EncryptCommand, GenerateDataKeyCommand } from "@aws-sdk/client-kms";
import { AssumeRoleCommand, AssumeRoleWithSAMLCommand, STSClient } from "@aws-sdk/client-sts";
import type { SeedInput } from "./seed/schema.js";
import { kmsClient, sdkError, startQuiet, stsClient, TEST_REGION, type Creds } from "./testing/harness.js";
import { b64, makeTestIdp, signedResponse, type TestIdp } from "./testing/saml.js";

type Local = Awaited<ReturnType<typeof startQuiet>>;
const ACCT = "410987654321";
const ISSUER = "https://idp.corp.test.invalid/saml";
const PROVIDER = `arn:aws:iam::${ACCT}:saml-provider/corp-idp`;
const ROLE = `arn:aws:iam::${ACCT}:role/saml-kms`;
const CHAINED = `arn:aws:iam::${ACCT}:role/chained-kms`;
const KEY_ID = "5a4e0000-0000-4000-8000-000000000001";
const KEY_ARN = `arn:aws:kms:${TEST_REGION}:${ACCT}:key/${KEY_ID}`;
const TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
// Base64(SHA1(Issuer + account id + "/" + provider name)), as STS returns it in NameQualifier.
const QUALIFIER = createHash("sha1").update(`${ISSUER}${ACCT}/corp-idp`).digest("base64");

// The documented example: the user's own "folder" named by ${saml:namequalifier}/${saml:sub}, and
// only for persistent subjects. Here the "folder" is the encryption context.
const ownData = {
  Effect: "Allow" as const,
  Action: "kms:Encrypt",
  Resource: KEY_ARN,
  Condition: { StringEquals: { "kms:EncryptionContext:owner": "${saml:sub}", "kms:EncryptionContext:ns": "${saml:namequalifier}" } },
};
const sessionPolicy = {
  Version: "2012-10-17",
  Statement: [
    ownData,
    // Unconditional, so only the Denies below decide GenerateDataKey.
    { Effect: "Allow" as const, Action: "kms:GenerateDataKey", Resource: KEY_ARN },
    { Effect: "Deny" as const, Action: "kms:*", Resource: "*", Condition: { StringNotEquals: { "saml:sub_type": "persistent" } } },
    { Effect: "Deny" as const, Action: "kms:*", Resource: "*", Condition: { StringNotEquals: { "saml:sub": ["alice@corp.test.invalid", "bob@corp.test.invalid"] } } },
    // saml:iss is documented for trust policies only: this Allow must never match a later call.
    { Effect: "Allow" as const, Action: "kms:DescribeKey", Resource: KEY_ARN, Condition: { StringEquals: { "saml:iss": ISSUER } } },
    { Effect: "Allow" as const, Action: "sts:AssumeRole", Resource: CHAINED, Condition: { StringEquals: { "saml:sub_type": "persistent" } } },
  ],
};

describe("SAML keys in the session's later calls", () => {
  let local: Local;
  let idp: TestIdp;
  const anonymous = () => new STSClient({ region: TEST_REGION, endpoint: local.endpoint, maxAttempts: 1 });
  const session = async (nameId: string, nameIdFormat?: string): Promise<Creds> => {
    const xml = signedResponse({ issuer: ISSUER, nameId, roles: [`${ROLE},${PROVIDER}`], roleSessionName: "s1", ...(nameIdFormat === undefined ? {} : { nameIdFormat }) }, idp);
    const out = await anonymous().send(new AssumeRoleWithSAMLCommand({ RoleArn: ROLE, PrincipalArn: PROVIDER, SAMLAssertion: b64(xml) }));
    const c = out.Credentials;
    return { accessKeyId: c?.AccessKeyId ?? "", secretAccessKey: c?.SecretAccessKey ?? "", sessionToken: c?.SessionToken ?? "" };
  };
  const encrypt = (creds: Creds, owner: string, ns = QUALIFIER) =>
    kmsClient(local, creds).send(new EncryptCommand({ KeyId: KEY_ARN, Plaintext: Buffer.from("x"), EncryptionContext: { owner, ns } }));

  before(async () => {
    idp = makeTestIdp("corp-idp");
    const seed: SeedInput = {
      account_id: ACCT,
      saml_providers: [{ name: "corp-idp", certificate: idp.certificatePem, issuer: ISSUER }],
      roles: [
        {
          name: "saml-kms",
          trust_policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Federated: PROVIDER }, Action: "sts:AssumeRoleWithSAML" }] },
          policies: [{ name: "own-data", document: sessionPolicy }],
        },
        {
          name: "chained-kms",
          trust_policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: "sts:AssumeRole" }] },
          policies: [{ name: "own-data", document: { Version: "2012-10-17", Statement: [ownData] } }],
        },
      ],
      kms_keys: [{ id: KEY_ID, policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: "kms:*", Resource: "*" }] } }],
    };
    local = await startQuiet({ seed });
  });
  after(async () => local.stop());
  beforeEach(async () => local.admin.reset());

  it("an Allow naming ${saml:sub} and ${saml:namequalifier} matches the session's own values only", async () => {
    const alice = await session("alice@corp.test.invalid");
    const out = await encrypt(alice, "alice@corp.test.invalid");
    assert.ok(out.CiphertextBlob !== undefined && out.CiphertextBlob.length > 0);
    assert.equal((await sdkError(() => encrypt(alice, "bob@corp.test.invalid"))).name, "AccessDeniedException");
    assert.equal((await sdkError(() => encrypt(alice, "alice@corp.test.invalid", "other-qualifier"))).name, "AccessDeniedException");
    const bob = await session("bob@corp.test.invalid");
    await encrypt(bob, "bob@corp.test.invalid");
  });

  it("a Deny with StringNotEquals on saml:sub / saml:sub_type fires only where the session's value differs", async () => {
    const dataKey = (creds: Creds) => kmsClient(local, creds).send(new GenerateDataKeyCommand({ KeyId: KEY_ARN, KeySpec: "AES_256" }));
    await dataKey(await session("alice@corp.test.invalid"));
    const carol = await session("carol@corp.test.invalid");
    assert.equal((await sdkError(() => dataKey(carol))).name, "AccessDeniedException");
    const transient = await session("alice@corp.test.invalid", TRANSIENT);
    assert.equal((await sdkError(() => dataKey(transient))).name, "AccessDeniedException");
  });

  it("keys documented for trust policies only (saml:iss) are not in later calls", async () => {
    const alice = await session("alice@corp.test.invalid");
    const err = await sdkError(() => kmsClient(local, alice).send(new DescribeKeyCommand({ KeyId: KEY_ARN })));
    assert.equal(err.name, "AccessDeniedException");
  });

  it("the session's AssumeRole call sees the keys; the chained session does not carry them on", async () => {
    const transient = await session("alice@corp.test.invalid", TRANSIENT);
    const refused = await sdkError(() => stsClient(local, transient).send(new AssumeRoleCommand({ RoleArn: CHAINED, RoleSessionName: "chain" })));
    assert.equal(refused.name, "AccessDenied");
    const alice = await session("alice@corp.test.invalid");
    const out = await stsClient(local, alice).send(new AssumeRoleCommand({ RoleArn: CHAINED, RoleSessionName: "chain" }));
    const c = out.Credentials;
    const chained = { accessKeyId: c?.AccessKeyId ?? "", secretAccessKey: c?.SecretAccessKey ?? "", sessionToken: c?.SessionToken ?? "" };
    assert.equal((await sdkError(() => encrypt(chained, "alice@corp.test.invalid"))).name, "AccessDeniedException");
    assert.equal((await local.admin.session(chained.accessKeyId))?.federationKeys, undefined);
  });

  it("the admin view shows exactly the documented keys, not the assertion", async () => {
    const alice = await session("alice@corp.test.invalid");
    const view = await local.admin.session(alice.accessKeyId);
    assert.deepEqual(view?.federationKeys, { "saml:namequalifier": QUALIFIER, "saml:sub": "alice@corp.test.invalid", "saml:sub_type": "persistent" });
  });
});
