// Within one account, a trust policy or key policy that names the caller itself grants without any
// Allow in the caller's identity policies; one that names the account only delegates to IAM. A session
// policy limits what a policy naming the user or role grants, not what one naming the session grants
// (IAM User Guide, "Policy evaluation logic" and "Policies and permissions in IAM", Session policies).
// Explicit Deny wins everywhere; across accounts both sides are always needed.
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { EncryptCommand } from "@aws-sdk/client-kms";
import { AssumeRoleCommand, type Credentials } from "@aws-sdk/client-sts";
import type { SeedInput } from "./seed/schema.js";
import { kmsClient, sdkError, startQuiet, stsClient, TEST_REGION, type Creds } from "./testing/harness.js";

type Local = Awaited<ReturnType<typeof startQuiet>>;
const A = "333333333333";
const B = "444444444444";
const role = (name: string, account = A) => `arn:aws:iam::${account}:role/${name}`;
const user = (name: string) => `arn:aws:iam::${A}:user/${name}`;
const HOP_FIXED = `arn:aws:sts::${A}:assumed-role/hop/fixed`;
const KEY = { session: "cccccccc-0000-4000-8000-000000000001", role: "cccccccc-0000-4000-8000-000000000002", user: "cccccccc-0000-4000-8000-000000000003", star: "cccccccc-0000-4000-8000-000000000004" };

const keys = {
  uma: { accessKeyId: "AKIATESTONLYUMA00001", secretAccessKey: "test-only/uma/NOT-A-REAL-SECRET-KEY00000" },
  ida: { accessKeyId: "AKIATESTONLYIDA00001", secretAccessKey: "test-only/ida/NOT-A-REAL-SECRET-KEY00000" },
  dee: { accessKeyId: "AKIATESTONLYDEE00001", secretAccessKey: "test-only/dee/NOT-A-REAL-SECRET-KEY00000" },
};
const accessKey = (k: Creds) => [{ access_key_id: k.accessKeyId, secret_access_key: k.secretAccessKey }];
const asCreds = (c: Credentials | undefined): Creds => ({ accessKeyId: c?.AccessKeyId ?? "", secretAccessKey: c?.SecretAccessKey ?? "", sessionToken: c?.SessionToken ?? "" });
const trust = (principal: string | string[], action = "sts:AssumeRole") => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow" as const, Principal: { AWS: principal }, Action: action }],
});
const keyPolicy = (principal: string) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow" as const, Principal: { AWS: principal }, Action: "kms:Encrypt", Resource: "*" }],
});
/** A session policy that allows nothing this file asks for (so it limits, without a Deny). */
const S3_ONLY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] });
const DENY_ASSUME = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Action: "*", Resource: "*" },
    { Effect: "Deny", Action: "sts:AssumeRole", Resource: "*" },
  ],
});

const SEED: SeedInput = {
  account_id: A,
  users: [
    // No IAM policy at all: whatever it gets, it gets from trust and key policies naming it.
    { name: "uma", access_keys: accessKey(keys.uma) },
    {
      name: "ida",
      access_keys: accessKey(keys.ida),
      policies: [{ name: "assume", document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: role("names-account") }] } }],
    },
    {
      name: "dee",
      access_keys: accessKey(keys.dee),
      policies: [{ name: "deny", document: { Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "sts:AssumeRole", Resource: "*" }] } }],
    },
  ],
  roles: [
    { name: "names-user", trust_policy: trust([user("uma"), user("dee")]) },
    { name: "names-account", trust_policy: trust(`arn:aws:iam::${A}:root`) },
    // hop has no identity policies: its sessions can do only what resource policies grant them.
    { name: "hop", trust_policy: trust(user("uma")) },
    { name: "names-role", trust_policy: trust(role("hop")) },
    { name: "names-session", trust_policy: trust(HOP_FIXED) },
  ],
  kms_keys: [
    { id: KEY.session, policy: keyPolicy(HOP_FIXED) },
    { id: KEY.role, policy: keyPolicy(role("hop")) },
    { id: KEY.user, policy: keyPolicy(user("uma")) },
    { id: KEY.star, policy: keyPolicy("*") },
  ],
  accounts: [{ account_id: B, roles: [{ name: "names-uma", trust_policy: trust(user("uma")) }] }],
};

describe("same-account grants: a trust or key policy naming the caller needs no identity-policy Allow", () => {
  let local: Local;
  before(async () => {
    local = await startQuiet({ seed: SEED, region: TEST_REGION });
  });
  after(async () => local.stop());
  beforeEach(async () => local.admin.reset());

  const assume = (creds: Creds, roleArn: string, sessionName = "s1", policy?: string) =>
    stsClient(local, creds).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, ...(policy === undefined ? {} : { Policy: policy }) }));
  const hopSession = async (name: string, policy?: string) => asCreds((await assume(keys.uma, role("hop"), name, policy)).Credentials);
  const denied = async (call: () => Promise<unknown>, name = "AccessDenied") => assert.equal((await sdkError(call)).name, name);
  const encrypt = (creds: Creds, keyId: string) => kmsClient(local, creds).send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") }));

  it("a trust policy naming the user's ARN grants without any identity policy", async () => {
    const out = await assume(keys.uma, role("names-user"));
    assert.equal(out.AssumedRoleUser?.Arn, `arn:aws:sts::${A}:assumed-role/names-user/s1`);
  });

  it("a trust policy naming only the account needs the caller's identity policy too", async () => {
    await denied(() => assume(keys.uma, role("names-account")));
    assert.ok((await assume(keys.ida, role("names-account"))).Credentials);
  });

  it("a trust policy naming the role ARN grants to its sessions, within their session policy", async () => {
    assert.ok((await assume(await hopSession("free"), role("names-role"))).Credentials);
    await denied(async () => assume(await hopSession("limited", S3_ONLY), role("names-role")));
  });

  it("a trust policy naming the session ARN grants to that session, whatever its session policy allows", async () => {
    assert.ok((await assume(await hopSession("fixed", S3_ONLY), role("names-session"))).Credentials);
    await denied(async () => assume(await hopSession("other"), role("names-session")));
  });

  it("an explicit Deny still wins: in the identity policies, or in the session policy", async () => {
    await denied(() => assume(keys.dee, role("names-user")));
    await denied(async () => assume(await hopSession("fixed", DENY_ASSUME), role("names-session")));
  });

  it("across accounts both sides are still needed: a trust policy naming the user is not enough", async () => {
    await denied(() => assume(keys.uma, role("names-uma", B)));
  });

  it("KMS: a key policy naming the user grants without IAM; naming the role is limited by the session policy, naming the session is not", async () => {
    assert.ok((await encrypt(keys.uma, KEY.user)).CiphertextBlob);
    const limited = await hopSession("fixed", S3_ONLY);
    assert.ok((await encrypt(limited, KEY.session)).CiphertextBlob);
    assert.ok((await encrypt(await hopSession("free"), KEY.role)).CiphertextBlob);
    const err = await sdkError(() => encrypt(limited, KEY.role));
    assert.equal(err.name, "AccessDeniedException");
    assert.match(err.message, /no session policy allows the kms:Encrypt action/);
  });

  it("KMS: a wildcard principal grants in its own account, and a session policy does not limit it", async () => {
    assert.ok((await encrypt(keys.uma, KEY.star)).CiphertextBlob);
    assert.ok((await encrypt(await hopSession("limited", S3_ONLY), KEY.star)).CiphertextBlob);
  });
});
