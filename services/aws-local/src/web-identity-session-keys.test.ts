// A session from AssumeRoleWithWebIdentity carries `<provider>:sub` into its later calls (IAM User
// Guide, "Identifying users with web identity federation": permission policies name the user by
// `${server.example.com:sub}`), while `:aud` and `:amr` stay in the trust policy.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { DescribeKeyCommand, EncryptCommand, GenerateDataKeyCommand } from "@aws-sdk/client-kms";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import type { SeedInput } from "./seed/schema.js";
import { kmsClient, sdkError, startQuiet, TEST_REGION, type Creds } from "./testing/harness.js";

type Local = Awaited<ReturnType<typeof startQuiet>>;
const ACCT = "510987654321";
const ISSUER = "https://idp.test.invalid/realms/dev";
const HOST = "idp.test.invalid/realms/dev";
const PROVIDER_ARN = `arn:aws:iam::${ACCT}:oidc-provider/${HOST}`;
const CLIENT_ID = "credvend-web";
const ROLE = `arn:aws:iam::${ACCT}:role/web-kms`;
const KEY_ID = "5a4e0000-0000-4000-8000-000000000002";
const KEY_ARN = `arn:aws:kms:${TEST_REGION}:${ACCT}:key/${KEY_ID}`;

const rolePolicy = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow" as const, Action: "kms:Encrypt", Resource: KEY_ARN, Condition: { StringEquals: { "kms:EncryptionContext:owner": `\${${HOST}:sub}` } } },
    // Unconditional, so only the Deny below decides GenerateDataKey.
    { Effect: "Allow" as const, Action: "kms:GenerateDataKey", Resource: KEY_ARN },
    { Effect: "Deny" as const, Action: "kms:*", Resource: "*", Condition: { StringNotEquals: { [`${HOST}:sub`]: ["user-alice-01", "user-bob-02"] } } },
    // aud and amr are trust-policy keys: these Allows must never match a later call.
    { Effect: "Allow" as const, Action: "kms:DescribeKey", Resource: KEY_ARN, Condition: { StringEquals: { [`${HOST}:aud`]: CLIENT_ID } } },
    { Effect: "Allow" as const, Action: "kms:DescribeKey", Resource: KEY_ARN, Condition: { "ForAnyValue:StringEquals": { [`${HOST}:amr`]: "pwd" } } },
  ],
};

describe("web identity keys in the session's later calls", () => {
  let local: Local;
  let key: CryptoKey;
  const session = async (sub: string): Promise<Creds> => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ amr: ["pwd"], iat: now - 10, exp: now + 300 })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(ISSUER)
      .setAudience(CLIENT_ID)
      .setSubject(sub)
      .sign(key);
    const sts = new STSClient({ region: TEST_REGION, endpoint: local.endpoint, maxAttempts: 1 });
    const out = await sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE, RoleSessionName: "web", WebIdentityToken: jwt }));
    const c = out.Credentials;
    return { accessKeyId: c?.AccessKeyId ?? "", secretAccessKey: c?.SecretAccessKey ?? "", sessionToken: c?.SessionToken ?? "" };
  };
  const encrypt = (creds: Creds, owner: string) =>
    kmsClient(local, creds).send(new EncryptCommand({ KeyId: KEY_ARN, Plaintext: Buffer.from("x"), EncryptionContext: { owner } }));

  before(async () => {
    const pair = await generateKeyPair("RS256");
    key = pair.privateKey;
    const pub = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    const seed: SeedInput = {
      account_id: ACCT,
      oidc_providers: [{ url: ISSUER, client_ids: [CLIENT_ID], jwks: { keys: [pub] } }],
      roles: [
        {
          name: "web-kms",
          trust_policy: {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Federated: PROVIDER_ARN }, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { [`${HOST}:aud`]: CLIENT_ID } } }],
          },
          policies: [{ name: "own-data", document: rolePolicy }],
        },
      ],
      kms_keys: [{ id: KEY_ID, policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: "kms:*", Resource: "*" }] } }],
    };
    local = await startQuiet({ seed });
  });
  after(async () => local.stop());
  beforeEach(async () => local.admin.reset());

  it("an Allow naming ${<provider>:sub} matches the session's own subject only", async () => {
    const alice = await session("user-alice-01");
    await encrypt(alice, "user-alice-01");
    assert.equal((await sdkError(() => encrypt(alice, "user-bob-02"))).name, "AccessDeniedException");
  });

  it("a Deny with StringNotEquals on <provider>:sub fires only for another subject", async () => {
    const dataKey = (creds: Creds) => kmsClient(local, creds).send(new GenerateDataKeyCommand({ KeyId: KEY_ARN, KeySpec: "AES_256" }));
    await dataKey(await session("user-alice-01"));
    const mallory = await session("user-mallory-03");
    assert.equal((await sdkError(() => dataKey(mallory))).name, "AccessDeniedException");
  });

  it("<provider>:aud and :amr are not in later calls", async () => {
    const alice = await session("user-alice-01");
    const err = await sdkError(() => kmsClient(local, alice).send(new DescribeKeyCommand({ KeyId: KEY_ARN })));
    assert.equal(err.name, "AccessDeniedException");
    assert.deepEqual((await local.admin.session(alice.accessKeyId))?.federationKeys, { [`${HOST}:sub`]: "user-alice-01" });
  });
});
