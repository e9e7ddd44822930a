// Several accounts in one seed, and the rules AWS applies across them: a role in account B that
// trusts account A is assumable only by A's principals whose own IAM policy allows it; a KMS key in
// B whose key policy names account A is usable only by A's principals whose IAM policy allows it.
// Also the global keys that must exist for the usual trust-policy guards to work.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { DecryptCommand, EncryptCommand } from "@aws-sdk/client-kms";
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand, type Credentials } from "@aws-sdk/client-sts";
import type { SeedInput } from "./seed/schema.js";
import { totp } from "./totp.js";
import { kmsClient, sdkError, startQuiet, stsClient, TEST_REGION, type Creds } from "./testing/harness.js";

type Local = Awaited<ReturnType<typeof startQuiet>>;
const A = "111111111111";
const B = "222222222222";
const SHARED = `arn:aws:iam::${B}:role/shared`;
const GUARDED = `arn:aws:iam::${B}:role/mfa-guarded`;
const KEY_B = "bbbbbbbb-0000-4000-8000-000000000001";
const KEY_B_PRIVATE = "bbbbbbbb-0000-4000-8000-000000000002";
const KEY_B_ARN = `arn:aws:kms:${TEST_REGION}:${B}:key/${KEY_B}`;
const EXTERNAL_ID = "test-only-external-id";
const MFA_SECRET = "TESTONLYCROSSACCOUNTMFA234567AB";
const MFA_SERIAL = `arn:aws:iam::${A}:mfa/alice`;

const keys = {
  alice: { accessKeyId: "AKIATESTONLYALICE001", secretAccessKey: "test-only/alice/NOT-A-REAL-SECRET-KEY000" },
  bob: { accessKeyId: "AKIATESTONLYBOB00001", secretAccessKey: "test-only/bob/NOT-A-REAL-SECRET-KEY00000" },
  bea: { accessKeyId: "AKIATESTONLYBEA00001", secretAccessKey: "test-only/bea/NOT-A-REAL-SECRET-KEY00000" },
};
const asCreds = (c: Credentials | undefined): Creds => ({ accessKeyId: c?.AccessKeyId ?? "", secretAccessKey: c?.SecretAccessKey ?? "", sessionToken: c?.SessionToken ?? "" });
const allow = (action: string | string[], resource: string | string[]) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow" as const, Action: action, Resource: resource }],
});

const regionTrust = (operator: string) => ({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: "sts:AssumeRole" },
    { Effect: "Deny", Principal: { AWS: "*" }, Action: "sts:AssumeRole", Condition: { [operator]: { "aws:RequestedRegion": TEST_REGION } } },
  ],
});

const ipTrust = (operator: string) => ({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: "sts:AssumeRole" },
    { Effect: "Deny", Principal: { AWS: "*" }, Action: "sts:AssumeRole", Condition: { [operator]: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] } } },
  ],
});

const SEED: SeedInput = {
  account_id: A,
  users: [
    {
      name: "alice",
      access_keys: [{ access_key_id: keys.alice.accessKeyId, secret_access_key: keys.alice.secretAccessKey }],
      mfa_devices: [{ serial: MFA_SERIAL, totp_secret: MFA_SECRET }],
      policies: [
        { name: "assume-b", document: allow("sts:AssumeRole", [SHARED, GUARDED, `arn:aws:iam::${B}:role/untrusting`, `arn:aws:iam::${B}:role/region-*`]) },
        { name: "use-b-keys", document: allow(["kms:Encrypt", "kms:Decrypt"], `arn:aws:kms:*:${B}:key/*`) },
      ],
    },
    // Named by B's trust and key policies through its account, but no IAM policy of its own.
    { name: "bob", access_keys: [{ access_key_id: keys.bob.accessKeyId, secret_access_key: keys.bob.secretAccessKey }] },
  ],
  accounts: [
    {
      account_id: B,
      users: [
        {
          name: "bea",
          access_keys: [{ access_key_id: keys.bea.accessKeyId, secret_access_key: keys.bea.secretAccessKey }],
          policies: [{ name: "kms", document: allow("kms:*", "*") }],
        },
      ],
      roles: [
        {
          name: "shared",
          trust_policy: {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: "sts:AssumeRole", Condition: { StringEquals: { "sts:ExternalId": EXTERNAL_ID } } }],
          },
        },
        {
          // The common guard: deny any caller that did not use MFA.
          name: "mfa-guarded",
          trust_policy: {
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: "sts:AssumeRole" },
              { Effect: "Deny", Principal: { AWS: "*" }, Action: "sts:AssumeRole", Condition: { Bool: { "aws:MultiFactorAuthPresent": "false" } } },
              // And the other half of it: MFA more than an hour old no longer counts.
              { Effect: "Deny", Principal: { AWS: "*" }, Action: "sts:AssumeRole", Condition: { NumericGreaterThan: { "aws:MultiFactorAuthAge": "3600" } } },
            ],
          },
        },
        // The usual region fence, and its mirror image: both read aws:RequestedRegion, which every request has.
        { name: "region-fenced", trust_policy: regionTrust("StringNotEquals") },
        { name: "region-closed", trust_policy: regionTrust("StringEquals") },
        // The same pair for aws:SourceIp: these tests call from loopback.
        { name: "region-ip-fenced", trust_policy: ipTrust("NotIpAddress") },
        { name: "region-ip-closed", trust_policy: ipTrust("IpAddress") },
        { name: "untrusting", trust_policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: "sts:AssumeRole" }] } },
      ],
      kms_keys: [
        {
          id: KEY_B,
          policy: {
            Version: "2012-10-17",
            Statement: [
              { Sid: "OwnAccount", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${B}:root` }, Action: "kms:*", Resource: "*" },
              { Sid: "AccountA", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: ["kms:Encrypt", "kms:Decrypt"], Resource: "*" },
            ],
          },
        },
        // The default key policy: account B only.
        { id: KEY_B_PRIVATE },
      ],
    },
  ],
};

describe("cross-account STS and KMS need an Allow on both sides", () => {
  let local: Local;
  before(async () => {
    local = await startQuiet({ seed: SEED, region: TEST_REGION });
  });
  after(async () => local.stop());
  beforeEach(async () => local.admin.reset());

  it("A's alice assumes B's role (B trusts A, A's IAM allows); the session is in account B", async () => {
    const out = await stsClient(local, keys.alice).send(new AssumeRoleCommand({ RoleArn: SHARED, RoleSessionName: "x-acct", ExternalId: EXTERNAL_ID }));
    const me = await stsClient(local, asCreds(out.Credentials)).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Account, B);
    assert.equal(me.Arn, `arn:aws:sts::${B}:assumed-role/shared/x-acct`);
  });

  it("AccessDenied unless both agree: bob (no IAM policy), a role that does not trust A, a wrong ExternalId", async () => {
    const cases: [Creds, string, string | undefined][] = [
      [keys.bob, SHARED, EXTERNAL_ID],
      [keys.alice, `arn:aws:iam::${B}:role/untrusting`, undefined],
      [keys.alice, SHARED, "another-external-id"],
    ];
    for (const [creds, role, externalId] of cases) {
      const err = await sdkError(() => stsClient(local, creds).send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: "xa", ExternalId: externalId })));
      assert.equal(err.name, "AccessDenied", `${creds.accessKeyId} -> ${role}`);
    }
  });

  it("KMS: A's alice uses B's key by ARN; bob (no IAM) and B's private key are refused; a bare id names A's own account", async () => {
    const enc = await kmsClient(local, keys.alice).send(new EncryptCommand({ KeyId: KEY_B_ARN, Plaintext: Buffer.from("x") }));
    const dec = await kmsClient(local, keys.alice).send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    assert.equal(Buffer.from(dec.Plaintext ?? []).toString(), "x");
    const bob = await sdkError(() => kmsClient(local, keys.bob).send(new EncryptCommand({ KeyId: KEY_B_ARN, Plaintext: Buffer.from("x") })));
    assert.equal(bob.name, "AccessDeniedException");
    assert.match(bob.message, /no identity-based policy allows/);
    const privateKey = await sdkError(() =>
      kmsClient(local, keys.alice).send(new EncryptCommand({ KeyId: `arn:aws:kms:${TEST_REGION}:${B}:key/${KEY_B_PRIVATE}`, Plaintext: Buffer.from("x") })),
    );
    assert.equal(privateKey.name, "AccessDeniedException");
    const bare = await sdkError(() => kmsClient(local, keys.alice).send(new EncryptCommand({ KeyId: KEY_B, Plaintext: Buffer.from("x") })));
    assert.equal(bare.name, "NotFoundException");
    // B's own user, allowed by B's IAM and the root delegation, uses both.
    await kmsClient(local, keys.bea).send(new EncryptCommand({ KeyId: KEY_B_PRIVATE, Plaintext: Buffer.from("x") }));
  });

  it("aws:MultiFactorAuthPresent is false for session credentials without MFA, so the Deny guard fires", async () => {
    // A long-term key without MFA: the key is absent, and a plain Bool condition does not match (as in AWS).
    await stsClient(local, keys.alice).send(new AssumeRoleCommand({ RoleArn: GUARDED, RoleSessionName: "long-term" }));
    const noMfa = await stsClient(local, keys.alice).send(new GetSessionTokenCommand({}));
    const denied = await sdkError(() => stsClient(local, asCreds(noMfa.Credentials)).send(new AssumeRoleCommand({ RoleArn: GUARDED, RoleSessionName: "no-mfa" })));
    assert.equal(denied.name, "AccessDenied");
    const { nowMs } = await local.admin.clock();
    const withMfa = await stsClient(local, keys.alice).send(new GetSessionTokenCommand({ SerialNumber: MFA_SERIAL, TokenCode: totp(MFA_SECRET, nowMs) }));
    const ok = await stsClient(local, asCreds(withMfa.Credentials)).send(new AssumeRoleCommand({ RoleArn: GUARDED, RoleSessionName: "with-mfa" }));
    assert.ok(ok.Credentials);
  });

  it("aws:MultiFactorAuthAge counts from the MFA check, so a Deny on old MFA fires once the session's MFA is over an hour old", async () => {
    const { nowMs } = await local.admin.clock();
    const withMfa = await stsClient(local, keys.alice).send(new GetSessionTokenCommand({ SerialNumber: MFA_SERIAL, TokenCode: totp(MFA_SECRET, nowMs) }));
    const session = stsClient(local, asCreds(withMfa.Credentials));
    await local.admin.advanceClock(3000);
    assert.ok((await session.send(new AssumeRoleCommand({ RoleArn: GUARDED, RoleSessionName: "fresh-mfa" }))).Credentials);
    await local.admin.advanceClock(1200);
    const stale = await sdkError(() => session.send(new AssumeRoleCommand({ RoleArn: GUARDED, RoleSessionName: "stale-mfa" })));
    assert.equal(stale.name, "AccessDenied");
  });

  it("aws:RequestedRegion is this endpoint's region: a fence around it lets the call through, a Deny on it refuses", async () => {
    const fenced = await stsClient(local, keys.alice).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${B}:role/region-fenced`, RoleSessionName: "in-region" }));
    assert.ok(fenced.Credentials);
    const closed = await sdkError(() => stsClient(local, keys.alice).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${B}:role/region-closed`, RoleSessionName: "in-region" })));
    assert.equal(closed.name, "AccessDenied");
  });

  it("aws:SourceIp is the caller's address: a NotIpAddress fence around it lets the call through, an IpAddress Deny refuses", async () => {
    const fenced = await stsClient(local, keys.alice).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${B}:role/region-ip-fenced`, RoleSessionName: "loopback" }));
    assert.ok(fenced.Credentials);
    const closed = await sdkError(() => stsClient(local, keys.alice).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${B}:role/region-ip-closed`, RoleSessionName: "loopback" })));
    assert.equal(closed.name, "AccessDenied");
  });

  it("session tag keys beginning with aws: are refused in any letter case", async () => {
    for (const Key of ["aws:team", "AWS:Team"]) {
      const err = await sdkError(() =>
        stsClient(local, keys.alice).send(new AssumeRoleCommand({ RoleArn: SHARED, RoleSessionName: "tags", ExternalId: EXTERNAL_ID, Tags: [{ Key, Value: "x" }] })),
      );
      assert.equal(err.name, "ValidationError", Key);
      assert.match(err.message, /reserved prefix aws:/);
    }
  });
});
