// Permissions boundaries (IAM User Guide, "Permissions boundaries for IAM entities"): a user's or
// role's boundary is the most its identity policies can grant; an explicit deny in it refuses. Shown
// through the unmodified SDK clients on the calls aws-local authorizes: STS (AssumeRole,
// GetFederationToken), KMS (key-policy delegation to IAM, CreateKey), IAM (GetRole reports it). A
// grant naming the role session itself is not limited by the boundary; a seed boundary must name a
// managed policy of the seed.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GetRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { DecryptCommand, DescribeKeyCommand, EncryptCommand, CreateKeyCommand } from "@aws-sdk/client-kms";
import { AssumeRoleCommand, GetFederationTokenCommand } from "@aws-sdk/client-sts";
import type { SeedInput } from "./seed/schema.js";
import { kmsClient, sdkError, startQuiet, stsClient, type Creds } from "./testing/harness.js";
import { seedProblem } from "./testing/seed.js";

const ACCT = "123456789012";
const ALICE: Creds = { accessKeyId: "AKIABOUNDEDALICE0001", secretAccessKey: "test-only-bounded-alice-secret-0000000" };
const USER_BOUNDARY = `arn:aws:iam::${ACCT}:policy/alice-boundary`;
const ROLE_BOUNDARY = "arn:aws:iam::aws:policy/DescribeKeysOnly";
const OPEN_KEY = "11111111-2222-4333-8444-000000000001"; // default policy: the account root (delegates to IAM)
const SESSION_KEY = "11111111-2222-4333-8444-000000000002"; // names one role session directly
const SESSION_ARN = `arn:aws:sts::${ACCT}:assumed-role/inside/named-session`;

const doc = (...statements: object[]) => ({ Version: "2012-10-17", Statement: statements });
const allowAll = (service: string) => ({ Effect: "Allow", Action: `${service}:*`, Resource: "*" });
const trust = (aws: string) => doc({ Effect: "Allow", Principal: { AWS: aws }, Action: "sts:AssumeRole" });

const SEED: SeedInput = {
  account_id: ACCT,
  users: [
    {
      name: "alice",
      access_keys: [{ access_key_id: ALICE.accessKeyId, secret_access_key: ALICE.secretAccessKey }],
      // Her identity policies allow everything she tries; the boundary decides.
      policies: [{ name: "everything", document: doc(allowAll("sts"), allowAll("kms"), allowAll("iam")) }],
      permissions_boundary: USER_BOUNDARY,
    },
  ],
  roles: [
    { name: "inside", trust_policy: trust(ACCT), policies: [{ name: "kms", document: doc(allowAll("kms")) }], permissions_boundary: ROLE_BOUNDARY },
    { name: "outside", trust_policy: trust(ACCT) },
    // Names alice herself: no identity-policy Allow is needed, but her boundary still limits her.
    { name: "outside-direct", trust_policy: trust(`arn:aws:iam::${ACCT}:user/alice`) },
  ],
  // Listed after the user and role that name them: boundaries resolve once the seed is read.
  managed_policies: [
    {
      arn: USER_BOUNDARY,
      document: doc(
        { Effect: "Allow", Action: "sts:AssumeRole", Resource: `arn:aws:iam::${ACCT}:role/inside` },
        { Effect: "Allow", Action: ["kms:Encrypt", "kms:DescribeKey", "iam:GetRole"], Resource: "*" },
        { Effect: "Deny", Action: "kms:DescribeKey", Resource: `arn:aws:kms:*:${ACCT}:key/${SESSION_KEY}` },
      ),
    },
    { arn: ROLE_BOUNDARY, document: doc({ Effect: "Allow", Action: "kms:DescribeKey", Resource: "*" }) },
  ],
  kms_keys: [
    { id: OPEN_KEY },
    {
      id: SESSION_KEY,
      policy: doc(
        { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: "kms:*", Resource: "*" },
        { Effect: "Allow", Principal: { AWS: SESSION_ARN }, Action: ["kms:Encrypt", "kms:Decrypt"], Resource: "*" },
      ),
    },
  ],
};

describe("permissions boundaries limit what identity policies grant", () => {
  let local: Awaited<ReturnType<typeof startQuiet>>;
  before(async () => {
    local = await startQuiet({ seed: SEED });
  });
  after(async () => local.stop());

  const assume = (role: string, session = "s1") =>
    stsClient(local, ALICE).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCT}:role/${role}`, RoleSessionName: session }));
  const sessionCreds = async (session: string): Promise<Creds> => {
    const c = (await assume("inside", session)).Credentials;
    assert.ok(c?.AccessKeyId && c.SecretAccessKey && c.SessionToken);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  };

  it("STS: AssumeRole only of roles the boundary allows, even when the trust policy names the user", async () => {
    assert.ok((await assume("inside")).Credentials?.AccessKeyId);
    for (const role of ["outside", "outside-direct"]) {
      const error = await sdkError(() => assume(role));
      assert.equal(error.name, "AccessDenied", role);
      assert.equal(error.$metadata?.httpStatusCode, 403, role);
    }
  });

  it("STS: GetFederationToken needs the boundary to allow it", async () => {
    const error = await sdkError(() => stsClient(local, ALICE).send(new GetFederationTokenCommand({ Name: "bob", Policy: JSON.stringify(doc(allowAll("kms"))) })));
    assert.equal(error.name, "AccessDenied");
  });

  it("KMS: a key policy delegating to IAM gives the identity policies ∩ the boundary; a Deny in the boundary wins", async () => {
    const kms = kmsClient(local, ALICE);
    const sealed = await kms.send(new EncryptCommand({ KeyId: OPEN_KEY, Plaintext: new Uint8Array([1]) }));
    const decrypt = await sdkError(() => kms.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob })));
    assert.equal(decrypt.name, "AccessDeniedException");
    assert.match(decrypt.message, /because no permissions boundary allows the kms:Decrypt action/);
    const create = await sdkError(() => kms.send(new CreateKeyCommand({})));
    assert.equal(create.name, "AccessDeniedException");
    assert.match(create.message, /because no permissions boundary allows the kms:CreateKey action/);
    const denied = await sdkError(() => kms.send(new DescribeKeyCommand({ KeyId: SESSION_KEY })));
    assert.equal(denied.name, "AccessDeniedException");
    assert.match(denied.message, /with an explicit deny in a permissions boundary/);
  });

  it("KMS: a role session is limited by its role's boundary, except where a key policy names the session itself", async () => {
    const kms = kmsClient(local, await sessionCreds("other-session"));
    assert.ok((await kms.send(new DescribeKeyCommand({ KeyId: OPEN_KEY }))).KeyMetadata);
    const error = await sdkError(() => kms.send(new EncryptCommand({ KeyId: OPEN_KEY, Plaintext: new Uint8Array([1]) })));
    assert.equal(error.name, "AccessDeniedException");
    assert.match(error.message, /because no permissions boundary allows the kms:Encrypt action/);
    assert.equal((await sdkError(() => kms.send(new EncryptCommand({ KeyId: SESSION_KEY, Plaintext: new Uint8Array([1]) })))).name, "AccessDeniedException");

    const named = kmsClient(local, await sessionCreds("named-session"));
    const sealed = await named.send(new EncryptCommand({ KeyId: SESSION_KEY, Plaintext: new Uint8Array([7]) }));
    const opened = await named.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob }));
    assert.deepEqual([...(opened.Plaintext ?? [])], [7]);
  });

  it("IAM: GetRole reports the role's boundary", async () => {
    const iam = new IAMClient({ region: "us-east-1", endpoint: local.endpoint, credentials: ALICE, maxAttempts: 1 });
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: "inside" }));
    assert.deepEqual(Role?.PermissionsBoundary, { PermissionsBoundaryType: "Policy", PermissionsBoundaryArn: ROLE_BOUNDARY });
    assert.equal((await iam.send(new GetRoleCommand({ RoleName: "outside" }))).Role?.PermissionsBoundary, undefined);
  });
});

describe("seed permissions boundaries name a managed policy of the seed", () => {
  const withBoundary = (arn: string): SeedInput => ({ ...SEED, users: [{ ...SEED.users?.[0], name: "alice", permissions_boundary: arn }] });
  const problem = seedProblem;

  it("refuses a boundary that is not in managed_policies, or is another account's policy", () => {
    assert.match(problem(withBoundary(`arn:aws:iam::${ACCT}:policy/ghost`)), /users\.0 \(user "alice"\)\.permissions_boundary: no managed policy .*ghost in this seed; add it .* under managed_policies/);
    assert.match(problem(withBoundary("arn:aws:iam::999999999999:policy/x")), /is another account's policy/);
    assert.match(problem(withBoundary("not-an-arn")), /users\.0\.permissions_boundary: must be arn:aws:iam::<account\|aws>:policy\/<name>/);
  });
});
