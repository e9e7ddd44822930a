// MFA end to end: GetSessionToken signed with a long-term IAM user credential only the worker
// holds (the template's credential_source profile), and AssumeRole into a role whose trust needs
// MFA. Codes are computed by the test (TOTP); a code never appears in Redis, a reply or a log.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { DEV_MFA_SERIAL, DEV_MFA_TOTP_SECRET, devCredentials, totp } from "@credvend/aws-local";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { Redis } from "ioredis";
import { credvend } from "./support/cli.js";
import { REGION, REPLY_KEY_ARN, startHarness, type Harness } from "./support/harness.js";
import {
  assertNoSecrets, federationSeed, LEGACY_MFA_SERIAL, LEGACY_SECRET, LEGACY_TOTP_SECRET, LEGACY_USER, makeOidcKey, makeTestIdp, useLegacyProfile,
} from "./support/federation.js";
import { refusal } from "./support/outcome.js";

const CALLER = "demo-app";

/** A 6-digit code that is not valid in the ±1-step window around now. */
function wrongCode(secret: string): string {
  const now = Date.now();
  const valid = new Set([-1, 0, 1].map((d) => totp(secret, now + d * 30_000)));
  // Not 000000: the account id 000000000000 is in replies and ARNs.
  let n = 472_913;
  while (valid.has(String(n).padStart(6, "0"))) n += 1;
  return String(n).padStart(6, "0");
}

describe("MFA through the worker", () => {
  let h: Harness;
  const tenant = uniqueName("mfa");
  const lines: string[] = [];
  const secrets: string[] = [LEGACY_SECRET];
  const codes: string[] = [];
  const calls = async (op: string) => (await h.awsLocal.admin.calls())[`sts:${op}`]?.total ?? 0;
  const vend = (template: string, mfa?: { serialNumber: string; tokenCode: string }) => {
    if (mfa) codes.push(mfa.tokenCode);
    return h.client(tenant, CALLER, { attempts: 1 }).request({ template, requestId: uniqueRequestId(), ...(mfa ? { mfa } : {}) });
  };

  before(async () => {
    useLegacyProfile();
    h = await startHarness({
      seed: federationSeed(await makeOidcKey(), makeTestIdp()),
      env: { CREDVEND_LOG_LEVEL: "trace" },
      logLines: lines,
      config: `templates:
  legacy-session:
    kind: session_token
    credential_source: { profile: ${LEGACY_USER} }
    mfa: { required: true }
    duration: { default: 900 }
  mfa-role:
    kind: assume_role
    role_arn: arn:aws:iam::000000000000:role/credvend-demo-mfa
    mfa: { required: true }
    duration: { default: 900 }
    policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::credvend-demo/{{tenant}}/*" }] }
access:
  - { tenants: ["${tenant}"], principals: [${CALLER}], templates: [legacy-session, mfa-role] }
`,
    });
  });
  after(async () => {
    await h?.stop();
  });

  test("GetSessionToken with a TOTP code gets MFA-backed credentials of the template's IAM user, not the worker's", async () => {
    const before = await calls("GetSessionToken");
    const creds = await vend("legacy-session", { serialNumber: LEGACY_MFA_SERIAL, tokenCode: totp(LEGACY_TOTP_SECRET, Date.now()) });
    secrets.push(creds.secretAccessKey, creds.sessionToken);
    assert.equal(await calls("GetSessionToken"), before + 1);
    const session = await h.awsLocal.admin.session(creds.accessKeyId);
    assert.equal(session?.kind, "session-token");
    assert.equal(session?.mfaPresent, true);
    const sts = new STSClient({ region: REGION, endpoint: h.awsLocal.endpoint, credentials: creds });
    const who = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    assert.equal(who.Arn, `arn:aws:iam::000000000000:user/${LEGACY_USER}`);
  });

  test("without a code the template's MFA requirement is the reply, and STS is not called", async () => {
    const before = await calls("GetSessionToken");
    const error = await refusal(vend("legacy-session"));
    assert.equal(`${error.code} ${error.reason}`, "UNAUTHENTICATED CV_ERR_MFA_REQUIRED");
    assert.equal(error.field, "mfa");
    assert.equal(await calls("GetSessionToken"), before);
  });

  test("a wrong code is UNAUTHENTICATED, and the reply does not repeat it", async () => {
    const code = wrongCode(LEGACY_TOTP_SECRET);
    const error = await refusal(vend("legacy-session", { serialNumber: LEGACY_MFA_SERIAL, tokenCode: code }));
    assert.equal(`${error.code} ${error.reason}`, "UNAUTHENTICATED CV_ERR_MFA_CODE_REJECTED");
    assert.ok(!error.message.includes(code));
  });

  test("AssumeRole into a role whose trust requires MFA: with the code it vends, without it the MFA reason", async () => {
    const creds = await vend("mfa-role", { serialNumber: DEV_MFA_SERIAL, tokenCode: totp(DEV_MFA_TOTP_SECRET, Date.now()) });
    secrets.push(creds.secretAccessKey, creds.sessionToken);
    assert.match(creds.arn, /assumed-role\/credvend-demo-mfa\//);
    assert.equal((await h.awsLocal.admin.session(creds.accessKeyId))?.mfaPresent, true);
    const error = await refusal(vend("mfa-role"));
    assert.equal(`${error.code} ${error.reason}`, "UNAUTHENTICATED CV_ERR_MFA_REQUIRED");
  });

  test("credvend request reads the code from stdin with --mfa-code - and never prints it", async () => {
    const env = {
      NATS_URL: h.natsUrl, CREDVEND_TENANT: tenant, CREDVEND_PRINCIPAL: CALLER, CREDVEND_REPLY_KEY_ARN: REPLY_KEY_ARN, AWS_REGION: REGION,
      AWS_ENDPOINT_URL: h.awsLocal.endpoint, AWS_ACCESS_KEY_ID: devCredentials(CALLER).accessKeyId, AWS_SECRET_ACCESS_KEY: devCredentials(CALLER).secretAccessKey,
    };
    const args = ["request", "--template", "legacy-session", "--mfa-serial", LEGACY_MFA_SERIAL, "--mfa-code", "-"];
    const code = totp(LEGACY_TOTP_SECRET, Date.now() + 30_000);
    codes.push(code);
    const ok = await credvend(args, env, 30_000, `${code}\n`);
    assert.equal(ok.code, 0, ok.stderr);
    const out = JSON.parse(ok.stdout) as { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
    secrets.push(out.SecretAccessKey, out.SessionToken);
    assert.equal((await h.awsLocal.admin.session(out.AccessKeyId))?.mfaPresent, true);
    assert.ok(!ok.stderr.includes(code));

    const wrong = wrongCode(LEGACY_TOTP_SECRET);
    codes.push(wrong);
    const refused = await credvend(args, env, 30_000, `${wrong}\n`);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /UNAUTHENTICATED \(CV_ERR_MFA_CODE_REJECTED\)/);
    assert.ok(!refused.stderr.includes(wrong) && !refused.stdout.includes(wrong));

    const noCode = await credvend(["request", "--template", "legacy-session", "--mfa-serial", LEGACY_MFA_SERIAL], env);
    assert.equal(noCode.code, 2);
    assert.match(noCode.stderr, /--mfa-code -/);
  });

  test("no code is stored in Redis (idempotency records, refusals) or written to the worker's trace-level log", async (t) => {
    const redis = new Redis(h.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      const keys = await redis.keys(`*${tenant}*`);
      assert.ok(keys.length > 0, "the requests left idempotency records to look at");
      for (const key of keys) {
        const type = await redis.type(key);
        const values: Buffer[] = type === "string" ? [(await redis.getBuffer(key)) ?? Buffer.alloc(0)]
          : type === "hash" ? Object.values(await redis.hgetallBuffer(key)) : [];
        for (const code of codes) {
          // As a whole number: not inside a longer run of digits (timestamps, account ids).
          const alone = new RegExp(`(?<!\\d)${code}(?!\\d)`);
          assert.ok(!alone.test(key), `key ${key} holds a code`);
          for (const v of values) assert.ok(!alone.test(v.toString("latin1")), `${key} holds a code`);
        }
      }
      t.diagnostic(`${keys.length} Redis keys, ${lines.length} log lines, ${codes.length} codes looked for`);
    } finally {
      redis.disconnect();
    }
    assertNoSecrets(lines, [...secrets, ...codes]);
  });
});
