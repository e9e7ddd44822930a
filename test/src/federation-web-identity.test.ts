// AssumeRoleWithWebIdentity end to end: NATS, the worker, aws-local with an OIDC provider whose key
// this test generates. Junk tokens are refused by the worker itself (no STS call); what only STS
// can know still reaches it. No token ever appears in the worker's trace-level log.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { uniqueName } from "@credvend/testkit";
import { SignJWT, type CryptoKey } from "jose";
import { devCredentials } from "@credvend/aws-local";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { credvend } from "./support/cli.js";
import { REGION, REPLY_KEY_ARN, startHarness, type Harness } from "./support/harness.js";
import {
  assertNoSecrets, federationSeed, makeOidcKey, makeTestIdp, OIDC_CLIENT_ID, OIDC_ISSUER, OIDC_KID, WEB_ROLE_ARN, type OidcKey,
} from "./support/federation.js";
import { refusal } from "./support/outcome.js";

const CALLER = "demo-app";

describe("web identity (OIDC) through the worker", () => {
  let h: Harness;
  let oidc: OidcKey;
  let stranger: OidcKey;
  const tenant = uniqueName("webid");
  const lines: string[] = [];
  const secrets: string[] = [];
  const webIdentityCalls = async () => (await h.awsLocal.admin.calls())["sts:AssumeRoleWithWebIdentity"]?.total ?? 0;

  const token = async (o: { sub?: string; iss?: string; aud?: string; expIn?: number; key?: CryptoKey } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ iat: now - 5, exp: now + (o.expIn ?? 300) })
      .setProtectedHeader({ alg: "RS256", kid: OIDC_KID })
      .setIssuer(o.iss ?? OIDC_ISSUER)
      .setAudience(o.aud ?? OIDC_CLIENT_ID)
      .setSubject(o.sub ?? CALLER)
      .sign(o.key ?? oidc.privateKey);
    secrets.push(jwt);
    return jwt;
  };
  const vend = (template: string, webIdentityToken: string) =>
    h.client(tenant, CALLER, { attempts: 1 }).request({ template, federation: { webIdentityToken } });

  before(async () => {
    oidc = await makeOidcKey();
    stranger = await makeOidcKey();
    const jwks = JSON.stringify({ keys: [oidc.publicJwk] });
    const policy = `{ Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::credvend-web/{{tenant}}/*" }] }`;
    h = await startHarness({
      seed: federationSeed(oidc, makeTestIdp()),
      env: { CREDVEND_LOG_LEVEL: "trace" },
      logLines: lines,
      config: `templates:
  web-read:
    kind: web_identity
    role_arn: ${WEB_ROLE_ARN}
    duration: { default: 900 }
    policy: ${policy}
    web_identity: { issuers: ["${OIDC_ISSUER}"], audiences: [${OIDC_CLIENT_ID}], jwks: ${jwks} }
  web-read-sts-verifies:
    kind: web_identity
    role_arn: ${WEB_ROLE_ARN}
    duration: { default: 900 }
    policy: ${policy}
    web_identity: { issuers: ["${OIDC_ISSUER}"], audiences: [${OIDC_CLIENT_ID}] }
access:
  - { tenants: ["${tenant}"], principals: [${CALLER}], templates: ["web-read*"], claims: { sub: "{{principal}}" } }
`,
    });
  });
  after(async () => {
    await h?.stop();
  });

  test("a token signed by the registered key gets credentials for the template's role, scoped by the rendered policy", async () => {
    const before = await webIdentityCalls();
    const creds = await vend("web-read", await token());
    secrets.push(creds.secretAccessKey, creds.sessionToken);
    assert.match(creds.arn, /^arn:aws:sts::000000000000:assumed-role\/web-reader\//);
    assert.ok(creds.expiration.getTime() <= Date.now() + 900_000 + 5_000, "the template's 900 s");
    assert.equal(await webIdentityCalls(), before + 1);
    const session = await h.awsLocal.admin.session(creds.accessKeyId);
    assert.equal(session?.kind, "assumed-role");
    assert.equal(session?.roleArn, WEB_ROLE_ARN);
    assert.deepEqual(session?.sessionPolicy, {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::credvend-web/${tenant}/*` }],
    });
  });

  test("junk tokens are refused by the worker, each with its own reason, and cost no STS call", async () => {
    const before = await webIdentityCalls();
    const none = (() => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
      const now = Math.floor(Date.now() / 1000);
      return `${b64({ alg: "none", typ: "JWT" })}.${b64({ iss: OIDC_ISSUER, aud: OIDC_CLIENT_ID, sub: CALLER, iat: now, exp: now + 300 })}.`;
    })();
    secrets.push(none);
    const cases: [string, string, string, string][] = [
      ["expired", await token({ expIn: -60 }), "UNAUTHENTICATED", "CV_ERR_WEB_IDENTITY_EXPIRED"],
      ["wrong audience", await token({ aud: "someone-else" }), "UNAUTHENTICATED", "CV_ERR_WEB_IDENTITY_AUDIENCE"],
      ["wrong issuer", await token({ iss: "https://evil.credvend.test" }), "UNAUTHENTICATED", "CV_ERR_WEB_IDENTITY_ISSUER"],
      ["bad signature", await token({ key: stranger.privateKey }), "UNAUTHENTICATED", "CV_ERR_WEB_IDENTITY_SIGNATURE"],
      ["alg none", none, "UNAUTHENTICATED", "CV_ERR_WEB_IDENTITY_ALGORITHM"],
      ["another caller's sub", await token({ sub: "other-app" }), "PERMISSION_DENIED", "CV_ERR_WEB_IDENTITY_CLAIM_MISMATCH"],
      ["not a JWT", "definitely-not-a-jwt-token", "INVALID_ARGUMENT", "CV_ERR_WEB_IDENTITY_MALFORMED"],
      ["larger than STS accepts", `${await token()}${"A".repeat(20_000)}`, "INVALID_ARGUMENT", "CV_ERR_FEDERATION_INPUT"],
    ];
    for (const [label, jwt, code, reason] of cases) {
      const error = await refusal(vend("web-read", jwt));
      assert.equal(`${error.code} ${error.reason}`, `${code} ${reason}`, label);
      assert.equal(error.field, "federation.web_identity_token", label);
      assert.ok(!error.message.includes(jwt), `${label}: the reply does not repeat the token`);
    }
    assert.equal(await webIdentityCalls(), before, "none of them reached STS");
  });

  test("without a JWKS in the template the signature is STS's to check: it refuses, and the reply says UNAUTHENTICATED", async () => {
    const before = await webIdentityCalls();
    const error = await refusal(vend("web-read-sts-verifies", await token({ key: stranger.privateKey })));
    assert.equal(`${error.code} ${error.reason}`, "UNAUTHENTICATED CV_ERR_STS_TOKEN_REJECTED");
    assert.equal(await webIdentityCalls(), before + 1, "this one did cost a call");
    const creds = await vend("web-read-sts-verifies", await token());
    secrets.push(creds.secretAccessKey, creds.sessionToken);
    assert.match(creds.arn, /assumed-role\/web-reader\//);
  });

  test("credvend request --web-identity-token-file sends the file's token and never prints it", async (t) => {
    const jwt = await token();
    const dir = mkdtempSync(path.join(tmpdir(), "credvend-webid-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "token");
    writeFileSync(file, `${jwt}\n`, { mode: 0o600 });
    const env = {
      NATS_URL: h.natsUrl, CREDVEND_TENANT: tenant, CREDVEND_PRINCIPAL: CALLER, CREDVEND_REPLY_KEY_ARN: REPLY_KEY_ARN, AWS_REGION: REGION,
      AWS_ENDPOINT_URL: h.awsLocal.endpoint, AWS_ACCESS_KEY_ID: devCredentials(CALLER).accessKeyId, AWS_SECRET_ACCESS_KEY: devCredentials(CALLER).secretAccessKey,
    };
    const ok = await credvend(["request", "--template", "web-read", "--web-identity-token-file", file], env);
    assert.equal(ok.code, 0, ok.stderr);
    const out = JSON.parse(ok.stdout) as { Arn: string; SecretAccessKey: string; SessionToken: string };
    secrets.push(out.SecretAccessKey, out.SessionToken);
    assert.match(out.Arn, /assumed-role\/web-reader\//);
    const expired = path.join(path.dirname(file), "expired");
    writeFileSync(expired, await token({ expIn: -60 }));
    const refused = await credvend(["request", "--template", "web-read", "--web-identity-token-file", expired], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /UNAUTHENTICATED \(CV_ERR_WEB_IDENTITY_EXPIRED\)/);
    assert.ok(!refused.stderr.includes(jwt.slice(0, 40)));
  });

  test("the worker's trace-level log holds none of the tokens or issued secrets", (t) => {
    t.diagnostic(`${lines.length} log lines, ${secrets.length} secrets looked for`);
    assertNoSecrets(lines, secrets);
  });
});
