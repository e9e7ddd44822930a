// AssumeRoleWithWebIdentity with the unmodified SDK (which sends it unsigned) and JWTs signed by
// keys this test generates: each way a token can be wrong gets AWS's own error code and status.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK } from "jose";
import type { SeedInput } from "./seed/schema.js";
import { FORM, rawRequest, sdkError, startQuiet, stsClient, TEST_REGION, xmlCode } from "./testing/harness.js";

type Local = Awaited<ReturnType<typeof startQuiet>>;
const ACCT = "210987654321";
const ISSUER = "https://idp.test.invalid/realms/dev";
const HOST_PATH = "idp.test.invalid/realms/dev";
const PROVIDER_ARN = `arn:aws:iam::${ACCT}:oidc-provider/${HOST_PATH}`;
const CLIENT_ID = "credvend-web";
const SUBJECT = "user-0123456789";
const ROLE = `arn:aws:iam::${ACCT}:role/web-app`;
const FILE_ISSUER = "https://file-idp.test.invalid";
const DEAD_ISSUER = "https://dead-idp.test.invalid";

function trust(providerArn: string, condition: Record<string, Record<string, string | string[]>>) {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow" as const, Principal: { Federated: providerArn }, Action: "sts:AssumeRoleWithWebIdentity", Condition: condition }],
  };
}

async function deadLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe("AssumeRoleWithWebIdentity", () => {
  let local: Local;
  let jwksDir: string | undefined;
  let key: CryptoKey;
  let otherKey: CryptoKey;
  let publicJwk: JWK;
  const anonymous = (l: Local) => new STSClient({ region: TEST_REGION, endpoint: l.endpoint, maxAttempts: 1 });

  const token = (claims: Record<string, unknown> = {}, opts: { key?: CryptoKey; iss?: string; aud?: string | string[]; expSeconds?: number } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ amr: ["pwd", "mfa"], iat: now - 10, exp: now + (opts.expSeconds ?? 300), ...claims })
      .setProtectedHeader({ alg: "RS256", kid: "test-key-1" })
      .setIssuer(opts.iss ?? ISSUER)
      .setAudience(opts.aud ?? CLIENT_ID)
      .setSubject(SUBJECT)
      .sign(opts.key ?? key);
  };

  const assume = async (webIdentityToken: string, extra: Partial<ConstructorParameters<typeof AssumeRoleWithWebIdentityCommand>[0]> = {}) =>
    anonymous(local).send(new AssumeRoleWithWebIdentityCommand({ RoleArn: ROLE, RoleSessionName: "web-session", WebIdentityToken: webIdentityToken, ...extra }));

  before(async () => {
    const pair = await generateKeyPair("RS256");
    key = pair.privateKey;
    ({ privateKey: otherKey } = await generateKeyPair("RS256"));
    // Only the public half goes into the seed.
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "test-key-1", alg: "RS256", use: "sig" };
    const pub = publicJwk;
    jwksDir = mkdtempSync(join(tmpdir(), "aws-local-jwks-"));
    const dir = jwksDir;
    const jwksFile = join(dir, "jwks.json");
    writeFileSync(jwksFile, JSON.stringify({ keys: [pub] }));
    const seed: SeedInput = {
      account_id: ACCT,
      oidc_providers: [
        { url: ISSUER, client_ids: [CLIENT_ID, "another-client"], jwks: { keys: [pub] } },
        { url: FILE_ISSUER, client_ids: [CLIENT_ID], jwks_uri: pathToFileURL(jwksFile).href },
        { url: DEAD_ISSUER, client_ids: [CLIENT_ID], jwks_uri: `http://127.0.0.1:${await deadLoopbackPort()}/jwks.json` },
      ],
      managed_policies: [{ arn: `arn:aws:iam::${ACCT}:policy/read`, document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] } }],
      roles: [
        {
          name: "web-app",
          max_session_duration: 7200,
          trust_policy: trust(PROVIDER_ARN, {
            StringEquals: { [`${HOST_PATH}:aud`]: CLIENT_ID, [`${HOST_PATH}:sub`]: SUBJECT },
            "ForAnyValue:StringEquals": { [`${HOST_PATH}:amr`]: "mfa" },
          }),
        },
        {
          name: "web-tagged",
          trust_policy: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Federated: PROVIDER_ARN },
                Action: ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"],
                Condition: { StringEquals: { "aws:RequestTag/team": "blue" } },
              },
            ],
          },
        },
        { name: "file-app", trust_policy: trust(`arn:aws:iam::${ACCT}:oidc-provider/file-idp.test.invalid`, {}) },
        { name: "dead-app", trust_policy: trust(`arn:aws:iam::${ACCT}:oidc-provider/dead-idp.test.invalid`, {}) },
        // Names the account, not the provider: an identity-provider caller is no AWS principal.
        {
          name: "account-trust",
          trust_policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: "sts:AssumeRoleWithWebIdentity" }] },
        },
      ],
    };
    local = await startQuiet({ seed });
  });
  after(async () => {
    await local?.stop();
    if (jwksDir !== undefined) rmSync(jwksDir, { recursive: true, force: true });
  });
  beforeEach(async () => local.admin.reset());

  it("a valid token gets credentials and every reply field, and the session is the role's", async () => {
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/*" }] });
    const out = await assume(await token(), { DurationSeconds: 7200, Policy: policy, PolicyArns: [{ arn: `arn:aws:iam::${ACCT}:policy/read` }] });
    assert.match(out.Credentials?.AccessKeyId ?? "", /^ASIA[A-Z2-7]{16}$/);
    assert.equal(out.SubjectFromWebIdentityToken, SUBJECT);
    assert.equal(out.Provider, PROVIDER_ARN);
    assert.equal(out.Audience, CLIENT_ID);
    assert.equal(out.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCT}:assumed-role/web-app/web-session`);
    assert.match(out.AssumedRoleUser?.AssumedRoleId ?? "", /^AROA[A-Z2-7]{17}:web-session$/);
    assert.ok((out.PackedPolicySize ?? 0) > 0);
    const lifetime = (out.Credentials?.Expiration?.getTime() ?? 0) - Date.now();
    assert.ok(lifetime > 7190_000 && lifetime <= 7200_000, `lifetime ${lifetime}`);
    const view = await local.admin.session(out.Credentials?.AccessKeyId ?? "");
    assert.equal(view?.issuedTo, PROVIDER_ARN);
    assert.deepEqual(view?.policyArns, [`arn:aws:iam::${ACCT}:policy/read`]);
    assert.ok(view?.sessionPolicy);
    const c = out.Credentials;
    const me = await stsClient(local, { accessKeyId: c?.AccessKeyId ?? "", secretAccessKey: c?.SecretAccessKey ?? "", sessionToken: c?.SessionToken ?? "" }).send(
      new GetCallerIdentityCommand({}),
    );
    assert.equal(me.Arn, out.AssumedRoleUser?.Arn);
    assert.equal(me.Account, ACCT);
  });

  it("the SourceIdentity claim is returned and needs sts:SetSourceIdentity in the trust policy", async () => {
    const err = await sdkError(async () => assume(await token({ "https://aws.amazon.com/source_identity": "alice" })));
    assert.equal(err.name, "AccessDenied");
    assert.equal(err.message, "Not authorized to perform sts:SetSourceIdentity");
  });

  it("session tags come from the https://aws.amazon.com/tags claim and need sts:TagSession", async () => {
    const tags = (team: string, extra: Record<string, string[]> = {}) => ({
      "https://aws.amazon.com/tags": { principal_tags: { team: [team], ...extra }, transitive_tag_keys: ["team"] },
    });
    const out = await assume(await token(tags("blue")), { RoleArn: `arn:aws:iam::${ACCT}:role/web-tagged` });
    const view = await local.admin.session(out.Credentials?.AccessKeyId ?? "");
    assert.deepEqual(view?.sessionTags, { team: "blue" });
    assert.deepEqual(view?.transitiveTags, { team: "blue" });
    assert.equal(view?.principalTags["team"], "blue");
    assert.ok((out.PackedPolicySize ?? 0) > 0);
    // The trust condition on aws:RequestTag/team holds for blue only; web-app's trust has no sts:TagSession.
    assert.equal((await sdkError(async () => assume(await token(tags("red")), { RoleArn: `arn:aws:iam::${ACCT}:role/web-tagged` }))).name, "AccessDenied");
    const untagged = await sdkError(async () => assume(await token(tags("blue"))));
    assert.equal(untagged.message, "Not authorized to perform sts:TagSession");
    const reserved = await sdkError(async () => assume(await token(tags("blue", { "aws:team": ["x"] })), { RoleArn: `arn:aws:iam::${ACCT}:role/web-tagged` }));
    assert.equal(reserved.name, "InvalidIdentityTokenException");
  });

  it("keys read from a jwks_uri file verify too", async () => {
    const out = await assume(await token({}, { iss: FILE_ISSUER }), { RoleArn: `arn:aws:iam::${ACCT}:role/file-app` });
    assert.equal(out.Provider, `arn:aws:iam::${ACCT}:oidc-provider/file-idp.test.invalid`);
  });

  const refusals: [string, () => Promise<string>, string, number][] = [
    ["an expired token", () => token({}, { expSeconds: -5 }), "ExpiredTokenException", 400],
    ["a wrong audience", () => token({}, { aud: "not-registered" }), "InvalidIdentityTokenException", 400],
    ["an issuer with no provider", () => token({}, { iss: "https://elsewhere.test.invalid" }), "InvalidIdentityTokenException", 400],
    ["a signature by another key", () => token({}, { key: otherKey }), "InvalidIdentityTokenException", 400],
    ["alg none", async () => new UnsecuredJWT({ sub: SUBJECT, amr: ["mfa"] }).setIssuer(ISSUER).setAudience(CLIENT_ID).setExpirationTime("5m").encode(), "InvalidIdentityTokenException", 400],
    [
      "HS256 keyed with the public key's modulus",
      async () =>
        new SignJWT({ amr: ["mfa"] })
          .setProtectedHeader({ alg: "HS256", kid: "test-key-1" })
          .setIssuer(ISSUER)
          .setAudience(CLIENT_ID)
          .setSubject(SUBJECT)
          .setExpirationTime("5m")
          .sign(new TextEncoder().encode(publicJwk.n ?? "")),
      "InvalidIdentityTokenException",
      400,
    ],
    ["a token not valid yet (nbf)", () => token({ nbf: Math.floor(Date.now() / 1000) + 600 }), "IDPRejectedClaimException", 403],
    ["a fractional exp", () => token({ exp: Math.floor(Date.now() / 1000) + 300.5 }), "InvalidIdentityTokenException", 400],
    ["a sub the trust policy does not name", () => new SignJWT({ amr: ["mfa"] }).setProtectedHeader({ alg: "RS256", kid: "test-key-1" }).setIssuer(ISSUER).setAudience(CLIENT_ID).setSubject("user-9999999999").setExpirationTime("5m").sign(key), "AccessDenied", 403],
    ["no mfa in amr", () => token({ amr: ["pwd"] }), "AccessDenied", 403],
    ["the second registered client id (trust names the first)", () => token({}, { aud: "another-client" }), "AccessDenied", 403],
    ["a token that is not a JWT", async () => "not-a-jwt-at-all", "InvalidIdentityTokenException", 400],
  ];
  for (const [what, make, name, status] of refusals) {
    it(`refuses ${what}: ${name} ${status}`, async () => {
      const jwt = await make();
      const err = await sdkError(() => assume(jwt));
      assert.equal(err.name, name, err.message);
      assert.equal(err.$metadata?.httpStatusCode, status);
      assert.ok(!err.message.includes(jwt), "the token is never echoed");
      const calls = await local.admin.calls();
      assert.equal(calls["sts:AssumeRoleWithWebIdentity"]?.ok ?? 0, 0);
    });
  }

  it("a role that trusts the account (AWS principal) does not trust an identity provider", async () => {
    const err = await sdkError(async () => assume(await token(), { RoleArn: `arn:aws:iam::${ACCT}:role/account-trust` }));
    assert.equal(err.name, "AccessDenied");
  });

  it("an unreachable jwks_uri is IDPCommunicationError, a missing role AccessDenied", async () => {
    const dead = await sdkError(async () => assume(await token({}, { iss: DEAD_ISSUER }), { RoleArn: `arn:aws:iam::${ACCT}:role/dead-app` }));
    assert.equal(dead.name, "IDPCommunicationErrorException");
    assert.equal(dead.$metadata?.httpStatusCode, 400);
    const missing = await sdkError(async () => assume(await token(), { RoleArn: `arn:aws:iam::${ACCT}:role/no-such-role` }));
    assert.equal(missing.name, "AccessDenied");
  });

  it("the model caps Policy at 2048 characters and RoleArn to printable characters (ValidationError, before the token is read)", async () => {
    const long = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::${"x".repeat(2100)}` }] });
    const tooLong = await sdkError(async () => assume(await token(), { Policy: long }));
    assert.equal(tooLong.name, "ValidationError");
    assert.match(tooLong.message, /'policy' failed to satisfy constraint: Member must have length less than or equal to 2048/);
    const control = await sdkError(async () => assume(await token(), { RoleArn: `arn:aws:iam::${ACCT}:role/app\u0001` }));
    assert.equal(control.name, "ValidationError");
    assert.match(control.message, /'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern/);
  });

  it("DurationSeconds is capped by the role's maximum and the model's range", async () => {
    const over = await sdkError(async () => assume(await token(), { DurationSeconds: 10800 }));
    assert.equal(over.name, "ValidationError");
    assert.match(over.message, /MaxSessionDuration/);
    const under = await sdkError(async () => assume(await token(), { DurationSeconds: 600 }));
    assert.equal(under.name, "ValidationError");
  });

  it("answers the AWS XML error shape on the wire, with no signature needed", async () => {
    const body = new URLSearchParams({
      Action: "AssumeRoleWithWebIdentity",
      Version: "2011-06-15",
      RoleArn: ROLE,
      RoleSessionName: "raw",
      WebIdentityToken: await token({}, { expSeconds: -60 }),
    }).toString();
    const res = await rawRequest(local, { headers: FORM, body });
    assert.equal(res.status, 400);
    assert.equal(xmlCode(res.text), "ExpiredTokenException");
    assert.match(res.text, /^<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/">\s*<Error><Type>Sender<\/Type><Code>ExpiredTokenException<\/Code><Message>Token expired: current date\/time \d+ must be before the expiration date\/time \d+<\/Message><\/Error>/);
    const ok = await rawRequest(local, { headers: FORM, body: body.replace(/WebIdentityToken=[^&]*/, `WebIdentityToken=${await token()}`) });
    assert.equal(ok.status, 200);
    assert.match(ok.text, /<AssumeRoleWithWebIdentityResult><Credentials>/);
  });
});
