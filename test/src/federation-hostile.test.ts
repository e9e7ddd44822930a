// A hostile tenant of a shared credvend: it presents bearer inputs (web identity tokens, SAML
// assertions, MFA codes) issued to another tenant's principal, reuses that tenant's request ids,
// asks for durations STS refuses, and looks for those secrets wherever the worker writes (Redis,
// the audit stream, its log). Real NATS, Redis and aws-local; the rules bind every bearer input
// to {{tenant}} and {{principal}}, as lint requires of rules that reach more than one tenant.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { b64, signedResponse } from "@credvend/aws-local/testing/saml";
import { totp } from "@credvend/aws-local";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { Redis } from "ioredis";
import { SignJWT } from "jose";
import { tenantEvents } from "./support/audit-stream.js";
import { startHarness, type Harness } from "./support/harness.js";
import {
  assertNoSecrets, federationSeed, LEGACY_MFA_SERIAL, LEGACY_SECRET, LEGACY_TOTP_SECRET, LEGACY_USER, makeOidcKey, makeTestIdp,
  OIDC_CLIENT_ID, OIDC_ISSUER, OIDC_KID, SAML_ISSUER, SAML_PROVIDER_ARN, SAML_ROLE_ARN, useLegacyProfile, WEB_ROLE_ARN, type OidcKey, type TestIdp,
} from "./support/federation.js";
import { refusal } from "./support/outcome.js";

const APP = "demo-app";

describe("a hostile tenant and other tenants' bearer inputs", () => {
  let h: Harness;
  let oidc: OidcKey;
  let idp: TestIdp;
  const victim = uniqueName("fhv");
  const attacker = uniqueName("fha");
  const lines: string[] = [];
  const secrets: string[] = [LEGACY_SECRET];
  const codes: string[] = [];
  const calls = async (op: string) => (await h.awsLocal.admin.calls())[`sts:${op}`]?.total ?? 0;
  const client = (tenant: string) => h.client(tenant, APP, { attempts: 1 });

  const token = async (sub: string) => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ iat: now - 5, exp: now + 300 })
      .setProtectedHeader({ alg: "RS256", kid: OIDC_KID }).setIssuer(OIDC_ISSUER).setAudience(OIDC_CLIENT_ID).setSubject(sub)
      .sign(oidc.privateKey);
    secrets.push(jwt);
    return jwt;
  };
  const assertion = (nameId: string) => {
    const xml = b64(signedResponse({ issuer: SAML_ISSUER, nameId, roles: [`${SAML_ROLE_ARN},${SAML_PROVIDER_ARN}`], roleSessionName: "corp-user" }, idp));
    secrets.push(xml);
    return xml;
  };
  const config = (tenants: string) => `templates:
  web-read:
    kind: web_identity
    role_arn: ${WEB_ROLE_ARN}
    duration: { default: 900 }
    policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::credvend-web/{{tenant}}/*" }] }
    web_identity: { issuers: ["${OIDC_ISSUER}"], audiences: [${OIDC_CLIENT_ID}], jwks: ${JSON.stringify({ keys: [oidc.publicJwk] })} }
  saml-read:
    kind: saml
    role_arn: ${SAML_ROLE_ARN}
    saml_provider_arn: ${SAML_PROVIDER_ARN}
    duration: { default: 900 }
    policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::credvend-saml/{{tenant}}/*" }] }
  fed-read:
    kind: federation_token
    credential_source: { profile: ${LEGACY_USER} }
    params: { team: { max_length: 16, default: red } }
    tags: { team: "{{team}}" }
    policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::credvend-fed/{{tenant}}/{{team}}/*" }] }
  legacy-session:
    kind: session_token
    credential_source: { profile: ${LEGACY_USER} }
    mfa: { required: true }
access:
  - { name: web, tenants: [${tenants}], principals: [${APP}], templates: [web-read], claims: { sub: "{{tenant}}:{{principal}}" } }
  - { name: saml, tenants: [${tenants}], principals: [${APP}], templates: [saml-read], claims: { NameID: "{{tenant}}:{{principal}}@corp.test" } }
  - { name: legacy, tenants: [${tenants}], principals: [${APP}], templates: [fed-read, legacy-session] }
`;

  before(async () => {
    useLegacyProfile();
    oidc = await makeOidcKey();
    idp = makeTestIdp("credvend-hostile-idp");
    h = await startHarness({ seed: federationSeed(oidc, idp), env: { CREDVEND_LOG_LEVEL: "trace" }, logLines: lines, config: config(`${victim}, ${attacker}`) });
  });
  after(async () => {
    await h?.stop();
  });

  test("another tenant's web identity token, even under the request id its owner used, is refused before STS and never served the owner's reply", async () => {
    const requestId = uniqueRequestId();
    const stolen = await token(`${victim}:${APP}`);
    const owner = await client(victim).request({ template: "web-read", requestId, federation: { webIdentityToken: stolen } });
    secrets.push(owner.secretAccessKey, owner.sessionToken);
    const before = await calls("AssumeRoleWithWebIdentity");
    const error = await refusal(client(attacker).request({ template: "web-read", requestId, federation: { webIdentityToken: stolen } }));
    assert.equal(`${error.code} ${error.reason}`, "PERMISSION_DENIED CV_ERR_WEB_IDENTITY_CLAIM_MISMATCH");
    assert.ok(!error.message.includes(stolen) && !error.message.includes(victim), "the refusal names neither the token nor its owner");
    assert.equal(await calls("AssumeRoleWithWebIdentity"), before, "no STS call was spent on it");
    // Its own token under the same request id: its own, fresh session, scoped to its own tenant.
    const own = await client(attacker).request({ template: "web-read", requestId, federation: { webIdentityToken: await token(`${attacker}:${APP}`) } });
    secrets.push(own.secretAccessKey, own.sessionToken);
    assert.notEqual(own.accessKeyId, owner.accessKeyId);
    assert.deepEqual((await h.awsLocal.admin.session(own.accessKeyId))?.sessionPolicy?.Statement, [{ Effect: "Allow", Action: "s3:GetObject", Resource: `arn:aws:s3:::credvend-web/${attacker}/*` }]);
  });

  test("another tenant's SAML assertion is refused before STS; the owner's own assertion still works", async () => {
    const stolen = assertion(`${victim}:${APP}@corp.test`);
    const before = await calls("AssumeRoleWithSAML");
    const error = await refusal(client(attacker).request({ template: "saml-read", federation: { samlAssertion: stolen } }));
    assert.equal(`${error.code} ${error.reason}`, "PERMISSION_DENIED CV_ERR_SAML_CLAIM_MISMATCH");
    assert.equal(error.field, "federation.saml_assertion");
    assert.ok(!error.message.includes(victim));
    assert.equal(await calls("AssumeRoleWithSAML"), before);
    const owner = await client(victim).request({ template: "saml-read", federation: { samlAssertion: stolen } });
    secrets.push(owner.secretAccessKey, owner.sessionToken);
    assert.match(owner.arn, /assumed-role\/saml-reader\//);
  });

  test("a SAML provider of another account, and parameter values that would inject into tags or the policy, are refused before STS", async () => {
    const before = (await calls("AssumeRoleWithSAML")) + (await calls("GetFederationToken"));
    const provider = await refusal(client(attacker).request({
      template: "saml-read", federation: { samlAssertion: assertion(`${attacker}:${APP}@corp.test`), samlProviderArn: "arn:aws:iam::999999999999:saml-provider/corp-idp" },
    }));
    assert.equal(`${provider.reason} ${provider.field}`, "CV_ERR_FEDERATION_INPUT federation.saml_provider_arn");
    for (const team of ["red,blue", "red=1/x", "r\u00e9d", "a..b", "*", "x".repeat(17), "red\nblue"]) {
      const error = await refusal(client(attacker).request({ template: "fed-read", params: { team } }));
      assert.equal(`${error.reason} ${error.field}`, "CV_ERR_PARAM_INVALID params.team", JSON.stringify(team));
    }
    assert.equal((await calls("AssumeRoleWithSAML")) + (await calls("GetFederationToken")), before);
    const ok = await client(attacker).request({ template: "fed-read", params: { team: "blue" } });
    secrets.push(ok.secretAccessKey, ok.sessionToken);
    const session = await h.awsLocal.admin.session(ok.accessKeyId);
    assert.equal(session?.sessionTags["team"], "blue");
    assert.equal(session?.sessionTags["credvend-tenant"], attacker);
  });

  test("durations STS refuses for the call are refused before STS, naming the limit", async () => {
    const cases: [string, number, string][] = [
      ["fed-read", 129_601, "129600"], ["fed-read", 899, "900"], ["web-read", 43_201, "43200"], ["legacy-session", 129_601, "129600"],
    ];
    const before = (await calls("GetFederationToken")) + (await calls("AssumeRoleWithWebIdentity")) + (await calls("GetSessionToken"));
    for (const [template, durationSeconds, limit] of cases) {
      const error = await refusal(client(attacker).request({
        template, durationSeconds,
        ...(template === "web-read" ? { federation: { webIdentityToken: await token(`${attacker}:${APP}`) } } : {}),
      }));
      assert.equal(`${error.code} ${error.reason}`, "INVALID_ARGUMENT CV_ERR_DURATION_INVALID", `${template} ${durationSeconds}`);
      assert.ok(error.message.includes(limit), `${template} ${durationSeconds}: the message names ${limit}: ${error.message}`);
    }
    assert.equal((await calls("GetFederationToken")) + (await calls("AssumeRoleWithWebIdentity")) + (await calls("GetSessionToken")), before);
    // The documented maximum itself is served: a federated user of 36 hours, named for its caller.
    const longest = await client(attacker).request({ template: "fed-read", durationSeconds: 129_600 });
    secrets.push(longest.secretAccessKey, longest.sessionToken);
    assert.equal(longest.arn, `arn:aws:sts::000000000000:federated-user/${attacker}.${APP}`);
    assert.ok(longest.expiration.getTime() > Date.now() + 129_000_000);
  });

  test("an MFA code reused by another tenant's principal under the same request id never gets the first caller's reply", async () => {
    const requestId = uniqueRequestId();
    const code = totp(LEGACY_TOTP_SECRET, Date.now());
    codes.push(code);
    const mfa = { serialNumber: LEGACY_MFA_SERIAL, tokenCode: code };
    const first = await client(victim).request({ template: "legacy-session", requestId, mfa });
    secrets.push(first.secretAccessKey, first.sessionToken);
    const replay = await client(attacker).request({ template: "legacy-session", requestId, mfa }).then(
      (c) => { secrets.push(c.secretAccessKey, c.sessionToken); return c.accessKeyId; },
      (e: unknown) => (e instanceof Error ? e.name : String(e)),
    );
    assert.notEqual(replay, first.accessKeyId, "the idempotency record is the first caller's alone");
  });

  test("no token, assertion, MFA code or long-term key is in Redis, the audit stream or the worker's trace-level log", async (t) => {
    const redis = new Redis(h.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    const found = (text: string, secret: string) => (/^\d+$/.test(secret) ? new RegExp(`(?<!\\d)${secret}(?!\\d)`).test(text) : text.includes(secret));
    // A JWT's signature and an assertion's middle stand for the whole, however it was cut or encoded.
    const needles = [...secrets.flatMap((s) => [s, s.split(".").at(-1) ?? s, s.slice(s.length / 2, s.length / 2 + 40)]), ...codes];
    try {
      let keys = 0;
      for (const tenant of [victim, attacker]) {
        for (const key of await redis.keys(`*${tenant}*`)) {
          keys += 1;
          const type = await redis.type(key);
          const values = type === "string" ? [(await redis.getBuffer(key)) ?? Buffer.alloc(0)]
            : type === "hash" ? Object.entries(await redis.hgetallBuffer(key)).flatMap(([k, v]) => [Buffer.from(k), v]) : [];
          const text = [key, ...values.map((v) => v.toString("latin1"))].join("\n");
          for (const n of needles) assert.ok(!found(text, n), `Redis key ${key} holds a secret (${n.slice(0, 4)}…)`);
        }
      }
      assert.ok(keys > 0, "the requests left records to look at");
      const events = [...(await tenantEvents(h.nc, victim)), ...(await tenantEvents(h.nc, attacker))];
      assert.ok(events.length > 0, "the requests were audited");
      const audit = JSON.stringify(events);
      for (const n of needles) assert.ok(!found(audit, n), `an audit event holds a secret (${n.slice(0, 4)}…)`);
      t.diagnostic(`${keys} Redis keys, ${events.length} audit events, ${lines.length} log lines, ${needles.length} needles`);
    } finally {
      redis.disconnect();
    }
    assertNoSecrets(lines, needles.filter((n) => n.length >= 6));
  });
});

describe("configs that let a request choose whose bearer input or federated user it gets", () => {
  test("are refused when the worker starts, each problem at its path", async () => {
    useLegacyProfile();
    const oidc = await makeOidcKey();
    const tenant = uniqueName("fhc");
    // Each rule or name below let one caller spend or become another's identity:
    // - claims.email bound to a parameter the caller sends (with the victim's token);
    // - a rule reaching every tenant whose claims never name the tenant (acme's "app" spends beta's);
    // - a SAML rule across tenants that binds nothing at all;
    // - federation_name from a parameter ({{tenant}}.{{who}}, who = another principal of the tenant).
    const config = `templates:
  web-read:
    kind: web_identity
    role_arn: ${WEB_ROLE_ARN}
    params: { email: { max_length: 64 } }
    policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::credvend-web/{{tenant}}/*" }] }
    web_identity: { issuers: ["${OIDC_ISSUER}"], audiences: [${OIDC_CLIENT_ID}], jwks: ${JSON.stringify({ keys: [oidc.publicJwk] })} }
  saml-read:
    kind: saml
    role_arn: ${SAML_ROLE_ARN}
    saml_provider_arn: ${SAML_PROVIDER_ARN}
  fed-read:
    kind: federation_token
    credential_source: { profile: ${LEGACY_USER} }
    federation_name: "{{tenant}}.{{who}}"
    params: { who: { max_length: 16 } }
    policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::credvend-fed/{{tenant}}/*" }] }
access:
  - { tenants: [${tenant}], principals: [${APP}], templates: [web-read], claims: { sub: "{{principal}}", email: "{{email}}" } }
  - { tenants: ["*"], principals: [${APP}], templates: [web-read], params: { email: [ops@corp.test] }, claims: { sub: "{{principal}}" } }
  - { tenants: ["*"], principals: [${APP}], templates: [saml-read] }
  - { tenants: [${tenant}], principals: [${APP}], templates: [fed-read] }
`;
    await assert.rejects(startHarness({ seed: federationSeed(oidc, makeTestIdp()), config }), (error: unknown) => {
      assert.ok(error instanceof Error);
      for (const path of ["access[0].claims.email", "access[1].claims", "access[2]", "templates.fed-read.federation_name"]) {
        assert.ok(error.message.includes(`${path}:`), `${path} is named: ${error.message}`);
      }
      return true;
    });
  });
});
