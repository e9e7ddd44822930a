// The IAM endpoint through the unmodified @aws-sdk/client-iam: a role's inline policies (Put, Get,
// Delete, List) and GetRole, each error IAM gives, and the point of it all: a deny put on a role
// applies at once to sessions of that role that were issued before it.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  type PutRolePolicyCommandInput,
} from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetFederationTokenCommand } from "@aws-sdk/client-sts";
import { EncryptCommand } from "@aws-sdk/client-kms";
import { DEV_ACCOUNT_ID, DEV_DEMO_DATA_KEY_ALIAS, devCredentials } from "./dev-seed.js";
import { kmsClient, sdkError, startQuiet, stsClient, type Creds } from "./testing/harness.js";

type Local = Awaited<ReturnType<typeof startQuiet>>;
const ROLE = "credvend-demo";
const ROLE_ARN = `arn:aws:iam::${DEV_ACCOUNT_ID}:role/${ROLE}`;

function iamClient(local: Local, creds: Creds | string = "credvend-operator", region = "us-east-1"): IAMClient {
  return new IAMClient({ region, endpoint: local.endpoint, credentials: typeof creds === "string" ? devCredentials(creds) : creds, maxAttempts: 1 });
}

const denyIssuedBefore = (iso: string, extra: Record<string, Record<string, string>> = {}) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Sid: "Revoke", Effect: "Deny", Action: "*", Resource: "*", Condition: { DateLessThan: { "aws:TokenIssueTime": iso }, ...extra } }],
  });

async function roleSession(local: Local, tags: Record<string, string> = {}): Promise<Creds> {
  const out = await stsClient(local).send(
    new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: "s1", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
  );
  const c = out.Credentials;
  assert.ok(c?.AccessKeyId && c.SecretAccessKey && c.SessionToken);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

const encryptAs = (local: Local, creds: Creds) =>
  kmsClient(local, creds).send(new EncryptCommand({ KeyId: DEV_DEMO_DATA_KEY_ALIAS, Plaintext: new Uint8Array([1, 2, 3]) }));

describe("IAM role inline policies through @aws-sdk/client-iam", () => {
  let local: Local;
  before(async () => {
    local = await startQuiet();
  });
  beforeEach(async () => local.admin.reset());
  after(async () => local.stop());

  it("PutRolePolicy, GetRolePolicy (URL-encoded, as submitted), ListRolePolicies, DeleteRolePolicy", async () => {
    const iam = iamClient(local);
    const doc = denyIssuedBefore("2026-01-01T00:00:00Z");
    await iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "credvend-revocations", PolicyDocument: doc }));
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: ROLE, PolicyName: "credvend-revocations" }));
    assert.equal(got.RoleName, ROLE);
    assert.equal(decodeURIComponent(got.PolicyDocument ?? ""), doc);
    assert.match(got.PolicyDocument ?? "", /^%7B%22Version/);
    const listed = await iam.send(new ListRolePoliciesCommand({ RoleName: ROLE }));
    assert.deepEqual(listed.PolicyNames, ["credvend-revocations", "demo-permissions"]);
    assert.equal(listed.IsTruncated, false);
    const page = await iam.send(new ListRolePoliciesCommand({ RoleName: ROLE, MaxItems: 1 }));
    assert.deepEqual(page.PolicyNames, ["credvend-revocations"]);
    assert.equal(page.IsTruncated, true);
    const rest = await iam.send(new ListRolePoliciesCommand({ RoleName: ROLE, MaxItems: 1, Marker: page.Marker }));
    assert.deepEqual(rest.PolicyNames, ["demo-permissions"]);
    assert.equal(rest.IsTruncated, false);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: "credvend-revocations" }));
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: ROLE }))).PolicyNames, ["demo-permissions"]);
  });

  it("GetRole answers the seeded role (ARN, id, max session, URL-encoded trust policy, tags)", async () => {
    const { Role } = await iamClient(local).send(new GetRoleCommand({ RoleName: ROLE }));
    assert.equal(Role?.Arn, ROLE_ARN);
    assert.match(Role?.RoleId ?? "", /^AROA/);
    assert.equal(Role?.MaxSessionDuration, 43200);
    assert.equal(Role?.Path, "/");
    assert.ok(Role?.CreateDate instanceof Date);
    assert.equal(JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? "")).Statement[0].Principal.AWS, `arn:aws:iam::${DEV_ACCOUNT_ID}:user/credvend-vendor`);
    assert.deepEqual(Role?.Tags, [{ Key: "credvend:managed", Value: "true" }]);
  });

  it("NoSuchEntity (404) for an unknown role, an unknown policy, a second delete", async () => {
    const iam = iamClient(local);
    // The operator may manage role/credvend-*: an unknown role inside that pattern is NoSuchEntity.
    for (const send of [
      () => iam.send(new GetRoleCommand({ RoleName: "credvend-nope" })),
      () => iam.send(new PutRolePolicyCommand({ RoleName: "credvend-nope", PolicyName: "p", PolicyDocument: denyIssuedBefore("2026-01-01T00:00:00Z") })),
      () => iam.send(new GetRolePolicyCommand({ RoleName: ROLE, PolicyName: "absent" })),
      () => iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: "absent" })),
    ]) {
      const err = await sdkError(send);
      assert.equal(err.name, "NoSuchEntityException", err.message);
      assert.equal(err.$metadata?.httpStatusCode, 404);
    }
  });

  it("MalformedPolicyDocument: not JSON, no Resource, an action without a service, a bad condition operator, a Principal, bad or repeated Sids", async () => {
    const iam = iamClient(local);
    const statement = (s: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "*", Resource: "*", ...s }] });
    for (const doc of [
      "{not json",
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "*" }] }),
      statement({ Action: "PutRolePolicy" }),
      statement({ Condition: { DateLessThanSoon: { "aws:TokenIssueTime": "2026-01-01T00:00:00Z" } } }),
      statement({ Principal: "*" }),
      statement({ Resource: "bucket" }),
      statement({ Sid: "not alpha-numeric" }),
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "A", Effect: "Deny", Action: "*", Resource: "*" }, { Sid: "A", Effect: "Deny", Action: "*", Resource: "*" }] }),
    ]) {
      const err = await sdkError(() => iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "p", PolicyDocument: doc })));
      assert.equal(err.name, "MalformedPolicyDocumentException", `${doc}: ${err.message}`);
      assert.equal(err.$metadata?.httpStatusCode, 400);
    }
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: ROLE }))).PolicyNames, ["demo-permissions"]);
  });

  it("ValidationError for bad names and missing members; the document is never echoed", async () => {
    const iam = iamClient(local);
    const doc = denyIssuedBefore("2026-01-01T00:00:00Z");
    for (const [input, member] of [
      [{ RoleName: ROLE, PolicyName: "bad name!", PolicyDocument: doc }, "policyName"],
      [{ RoleName: "r".repeat(65), PolicyName: "p", PolicyDocument: doc }, "roleName"],
      [{ RoleName: ROLE, PolicyName: "p", PolicyDocument: "{\"é\u0100\":1}" }, "policyDocument"],
      [{ RoleName: ROLE, PolicyName: "p" }, "policyDocument"],
    ] as const) {
      const err = await sdkError(() => iam.send(new PutRolePolicyCommand(input as PutRolePolicyCommandInput)));
      assert.equal(err.name, "ValidationError", err.message);
      assert.match(err.message, new RegExp(`at '${member}'`));
      assert.doesNotMatch(err.message, /TokenIssueTime|\u0100/);
    }
  });

  it("LimitExceeded (409) past 10,240 characters of inline policy per role (white space not counted)", async () => {
    const iam = iamClient(local);
    const resources = (n: number) => Array.from({ length: n }, (_, i) => `arn:aws:s3:::bucket-${String(i).padStart(4, "0")}/*`);
    const big = (n: number) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "s3:GetObject", Resource: resources(n) }] });
    // ~30 characters per resource: 300 fit beside demo-permissions, 360 do not.
    await iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "big", PolicyDocument: big(300) }));
    // White space is not counted: the same document pretty-printed still fits.
    await iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "big", PolicyDocument: JSON.stringify(JSON.parse(big(300)), null, 8) }));
    const err = await sdkError(() => iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "big", PolicyDocument: big(360) })));
    assert.equal(err.name, "LimitExceededException", err.message);
    assert.equal(err.$metadata?.httpStatusCode, 409);
    assert.match(err.message, /Maximum policy size of 10240 bytes exceeded for role credvend-demo/);
    // The refused document replaced nothing.
    const kept = await iam.send(new GetRolePolicyCommand({ RoleName: ROLE, PolicyName: "big" }));
    assert.equal(JSON.parse(decodeURIComponent(kept.PolicyDocument ?? "")).Statement[0].Resource.length, 300);
  });

  it("AccessDenied (403) unless the caller's identity policy allows iam:<Action> on the role", async () => {
    const doc = denyIssuedBefore("2026-01-01T00:00:00Z");
    const cases: [string | Creds, () => PutRolePolicyCommand | GetRoleCommand][] = [
      ["demo-app", () => new GetRoleCommand({ RoleName: ROLE })],
      ["credvend-vendor", () => new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "p", PolicyDocument: doc })],
      // The operator's policy covers role/credvend-* only.
      ["credvend-operator", () => new GetRoleCommand({ RoleName: "someone-elses-role" })],
    ];
    for (const [creds, command] of cases) {
      const err = await sdkError(() => iamClient(local, creds).send(command() as PutRolePolicyCommand));
      assert.equal(err.name, "AccessDenied", err.message);
      assert.equal(err.$metadata?.httpStatusCode, 403);
      assert.match(err.message, /is not authorized to perform: iam:(GetRole|PutRolePolicy) on resource: role /);
    }
    // A role session may not rewrite its own role's policies (the demo role has no iam:* permission).
    const session = await roleSession(local);
    const err = await sdkError(() => iamClient(local, session).send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: "demo-permissions" })));
    assert.equal(err.name, "AccessDenied");
    // Federated-user sessions can call no IAM API at all.
    const fed = await stsClient(local).send(
      new GetFederationTokenCommand({ Name: "fed", Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "iam:*", Resource: "*" }] }) }),
    );
    const c = fed.Credentials;
    const fedErr = await sdkError(() =>
      iamClient(local, { accessKeyId: c?.AccessKeyId ?? "", secretAccessKey: c?.SecretAccessKey ?? "", sessionToken: c?.SessionToken ?? "" }).send(new GetRoleCommand({ RoleName: ROLE })),
    );
    assert.equal(fedErr.name, "AccessDenied");
  });

  it("SigV4: signed for another region than us-east-1, unknown key, wrong secret", async () => {
    const wrongRegion = await sdkError(() => iamClient(local, "credvend-operator", "eu-west-1").send(new GetRoleCommand({ RoleName: ROLE })));
    assert.equal(wrongRegion.name, "SignatureDoesNotMatch");
    const unknown = await sdkError(() => iamClient(local, { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "x".repeat(40) }).send(new GetRoleCommand({ RoleName: ROLE })));
    assert.equal(unknown.name, "InvalidClientTokenId");
    const wrong = await sdkError(() =>
      iamClient(local, { accessKeyId: devCredentials("credvend-operator").accessKeyId, secretAccessKey: "y".repeat(40) }).send(new GetRoleCommand({ RoleName: ROLE })),
    );
    assert.equal(wrong.name, "SignatureDoesNotMatch");
  });

  it("a deny put on the role applies at once to sessions issued before it, not to later ones (aws:TokenIssueTime)", async () => {
    const before = await roleSession(local);
    await encryptAs(local, before);
    // Issue times are whole seconds: revoke everything issued before the next second.
    const cutoff = new Date(Math.ceil((Date.now() + 1) / 1000) * 1000);
    await iamClient(local).send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "revoke", PolicyDocument: denyIssuedBefore(cutoff.toISOString().replace(/\.\d{3}Z$/, "Z")) }));
    const denied = await sdkError(() => encryptAs(local, before));
    assert.equal(denied.name, "AccessDeniedException", denied.message);
    // The same deny stops role chaining with the old session (STS evaluates the live policies too).
    const chained = await sdkError(() =>
      stsClient(local, before).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${DEV_ACCOUNT_ID}:role/credvend-demo-chained`, RoleSessionName: "chained" })),
    );
    assert.equal(chained.name, "AccessDenied");
    await new Promise((r) => setTimeout(r, cutoff.getTime() - Date.now() + 5));
    const after = await roleSession(local);
    await encryptAs(local, after);
    // Deleting the deny restores the old session: the policies are read at each request.
    await iamClient(local).send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: "revoke" }));
    await encryptAs(local, before);
  });

  it("a deny conditioned on a session tag stops only the sessions carrying that tag", async () => {
    const alice = await roleSession(local, { "credvend-principal": "alice" });
    const bob = await roleSession(local, { "credvend-principal": "bob" });
    const far = "2100-01-01T00:00:00Z";
    await iamClient(local).send(
      new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "revoke", PolicyDocument: denyIssuedBefore(far, { StringEquals: { "aws:PrincipalTag/credvend-principal": "alice" } }) }),
    );
    assert.equal((await sdkError(() => encryptAs(local, alice))).name, "AccessDeniedException");
    await encryptAs(local, bob);
  });

  it("admin reset puts the seeded inline policies back", async () => {
    const iam = iamClient(local);
    await iam.send(new DeleteRolePolicyCommand({ RoleName: ROLE, PolicyName: "demo-permissions" }));
    await iam.send(new PutRolePolicyCommand({ RoleName: ROLE, PolicyName: "extra", PolicyDocument: denyIssuedBefore("2026-01-01T00:00:00Z") }));
    await local.admin.reset();
    assert.deepEqual((await iam.send(new ListRolePoliciesCommand({ RoleName: ROLE }))).PolicyNames, ["demo-permissions"]);
  });
});
