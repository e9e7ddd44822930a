import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AssumeRoleCommand,
  GetCallerIdentityCommand,
  GetFederationTokenCommand,
  GetSessionTokenCommand,
  type Credentials,
} from "@aws-sdk/client-sts";
import { DEV_EXTERNAL_ID, DEV_MFA_SERIAL, DEV_MFA_TOTP_SECRET } from "./dev-seed.js";
import { totp } from "./totp.js";
import { sdkError, startQuiet, stsClient, type Creds } from "./testing/harness.js";

type Local = Awaited<ReturnType<typeof startQuiet>>;
const ACCT = "000000000000";
const DEMO = `arn:aws:iam::${ACCT}:role/credvend-demo`;
const asCreds = (c: Credentials | undefined): Creds => ({
  accessKeyId: c?.AccessKeyId ?? "",
  secretAccessKey: c?.SecretAccessKey ?? "",
  sessionToken: c?.SessionToken ?? "",
});

describe("STS operations against the dev seed", () => {
  let local: Local;
  before(async () => {
    local = await startQuiet();
  });
  after(async () => local.stop());
  beforeEach(async () => local.admin.reset());

  it("logs one line saying it is a local emulator", () => {
    assert.equal(local.lines.filter((l) => l.includes("LOCAL EMULATOR")).length, 1);
  });

  it("GetCallerIdentity answers the IAM user", async () => {
    const out = await stsClient(local).send(new GetCallerIdentityCommand({}));
    assert.equal(out.Arn, `arn:aws:iam::${ACCT}:user/credvend-vendor`);
    assert.equal(out.Account, ACCT);
    assert.match(out.UserId ?? "", /^AIDA[A-Z2-7]{17}$/);
    assert.match(out.$metadata.requestId ?? "", /^[0-9a-f-]{36}$/);
  });

  it("AssumeRole issues ASIA credentials that GetCallerIdentity resolves to the assumed-role ARN", async () => {
    const out = await stsClient(local).send(
      new AssumeRoleCommand({ RoleArn: DEMO, RoleSessionName: "app-1", DurationSeconds: 900, TransitiveTagKeys: [] }),
    );
    const c = out.Credentials;
    assert.match(c?.AccessKeyId ?? "", /^ASIA[A-Z2-7]{16}$/);
    assert.equal(c?.SecretAccessKey?.length, 40);
    assert.ok((c?.SessionToken?.length ?? 0) > 200);
    const lifetime = (c?.Expiration?.getTime() ?? 0) - Date.now();
    assert.ok(lifetime > 890_000 && lifetime <= 900_000, `lifetime ${lifetime}`);
    assert.equal(out.AssumedRoleUser?.Arn, `arn:aws:sts::${ACCT}:assumed-role/credvend-demo/app-1`);
    assert.match(out.AssumedRoleUser?.AssumedRoleId ?? "", /^AROA[A-Z2-7]{17}:app-1$/);
    assert.equal(out.PackedPolicySize, undefined);
    const me = await stsClient(local, asCreds(c)).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, `arn:aws:sts::${ACCT}:assumed-role/credvend-demo/app-1`);
    assert.equal(me.UserId, out.AssumedRoleUser?.AssumedRoleId);
  });

  it("AssumeRole records session policy, ARNs, tags and source identity for the admin path", async () => {
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::credvend-demo/t1/*" }],
    });
    const out = await stsClient(local).send(
      new AssumeRoleCommand({
        RoleArn: DEMO,
        RoleSessionName: "tenant-t1",
        Policy: policy,
        PolicyArns: [{ arn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }],
        Tags: [
          { Key: "tenant", Value: "t1" },
          { Key: "principal", Value: "demo-app" },
        ],
        TransitiveTagKeys: ["tenant"],
        SourceIdentity: "demo-app",
        DurationSeconds: 43200,
      }),
    );
    assert.equal(out.SourceIdentity, "demo-app");
    assert.ok((out.PackedPolicySize ?? 0) > 0 && (out.PackedPolicySize ?? 0) <= 100);
    const view = await local.admin.session(out.Credentials?.AccessKeyId ?? "");
    assert.ok(view);
    assert.equal(view.roleArn, DEMO);
    assert.equal(view.roleSessionName, "tenant-t1");
    assert.deepEqual(view.policyArns, ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    assert.deepEqual(view.sessionTags, { tenant: "t1", principal: "demo-app" });
    assert.deepEqual(view.transitiveTagKeys, ["tenant"]);
    assert.deepEqual(view.principalTags, { "credvend:managed": "true", tenant: "t1", principal: "demo-app" });
    assert.equal(view.sourceIdentity, "demo-app");
    assert.equal(view.mfaPresent, false);
    assert.equal(view.expiresAtMs - view.issuedAtMs, 43200_000);
    assert.ok(view.sessionPolicy);
    const raw = JSON.stringify(view);
    assert.ok(!raw.includes(out.Credentials?.SecretAccessKey ?? "?"), "admin view must not leak the secret");
    assert.ok(!raw.includes(out.Credentials?.SessionToken ?? "?"), "admin view must not leak the token");
  });

  it("an empty TransitiveTagKeys list (sent as `TransitiveTagKeys=`) is accepted", async () => {
    const out = await stsClient(local).send(new AssumeRoleCommand({ RoleArn: DEMO, RoleSessionName: "s1", TransitiveTagKeys: [], Tags: [] }));
    assert.ok(out.Credentials);
  });

  it("AssumeRole with ExternalId passes the trust condition; a wrong or missing one is denied", async () => {
    const role = `arn:aws:iam::${ACCT}:role/credvend-demo-external`;
    const ok = await stsClient(local).send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: "ext", ExternalId: DEV_EXTERNAL_ID }));
    assert.ok(ok.Credentials);
    for (const ExternalId of ["wrong-external-id", undefined]) {
      const err = await sdkError(() => stsClient(local).send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: "ext", ExternalId })));
      assert.equal(err.name, "AccessDenied");
      assert.equal(err.$metadata?.httpStatusCode, 403);
      assert.equal(
        err.message,
        `User: arn:aws:iam::${ACCT}:user/credvend-vendor is not authorized to perform: sts:AssumeRole on resource: ${role}`,
      );
    }
  });

  it("an MFA-gated role needs a valid TOTP code; without one it is denied", async () => {
    const role = `arn:aws:iam::${ACCT}:role/credvend-demo-mfa`;
    const denied = await sdkError(() => stsClient(local).send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: "mfa" })));
    assert.equal(denied.name, "AccessDenied");
    const { nowMs } = await local.admin.clock();
    const out = await stsClient(local).send(
      new AssumeRoleCommand({ RoleArn: role, RoleSessionName: "mfa", SerialNumber: DEV_MFA_SERIAL, TokenCode: totp(DEV_MFA_TOTP_SECRET, nowMs) }),
    );
    const view = await local.admin.session(out.Credentials?.AccessKeyId ?? "");
    assert.equal(view?.mfaPresent, true);
    const wrongCode = totp(DEV_MFA_TOTP_SECRET, nowMs) === "000000" ? "111111" : "000000";
    const bad = await sdkError(() =>
      stsClient(local).send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: "mfa", SerialNumber: DEV_MFA_SERIAL, TokenCode: wrongCode })),
    );
    assert.equal(bad.name, "AccessDenied");
    assert.ok(!bad.message.includes(wrongCode), "the token code must not be echoed");
  });

  it("a principal the trust policy does not name is denied (demo-app may not assume credvend-demo)", async () => {
    const err = await sdkError(() => stsClient(local, "demo-app").send(new AssumeRoleCommand({ RoleArn: DEMO, RoleSessionName: "x1" })));
    assert.equal(err.name, "AccessDenied");
    assert.match(err.message, /user\/demo-app is not authorized to perform: sts:AssumeRole/);
  });

  it("an unknown role is AccessDenied, not a hint that it does not exist", async () => {
    const err = await sdkError(() =>
      stsClient(local).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCT}:role/credvend-nope`, RoleSessionName: "x1" })),
    );
    assert.equal(err.name, "AccessDenied");
  });

  it("DurationSeconds above the role maximum is a ValidationError", async () => {
    const err = await sdkError(() =>
      stsClient(local).send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCT}:role/credvend-demo-external`, RoleSessionName: "x1", ExternalId: DEV_EXTERNAL_ID, DurationSeconds: 7200 }),
      ),
    );
    assert.equal(err.name, "ValidationError");
    assert.match(err.message, /MaxSessionDuration/);
  });

  it("role chaining: allowed up to 1 hour, refused above; transitive tags carry over", async () => {
    const first = await stsClient(local).send(
      new AssumeRoleCommand({ RoleArn: DEMO, RoleSessionName: "hop1", Tags: [{ Key: "tenant", Value: "t9" }], TransitiveTagKeys: ["tenant"] }),
    );
    const chained = `arn:aws:iam::${ACCT}:role/credvend-demo-chained`;
    const client = stsClient(local, asCreds(first.Credentials));
    const tooLong = await sdkError(() => client.send(new AssumeRoleCommand({ RoleArn: chained, RoleSessionName: "hop2", DurationSeconds: 3601 })));
    assert.equal(tooLong.name, "ValidationError");
    assert.match(tooLong.message, /1 hour session limit for roles assumed by role chaining/);
    const ok = await client.send(new AssumeRoleCommand({ RoleArn: chained, RoleSessionName: "hop2", DurationSeconds: 3600 }));
    const view = await local.admin.session(ok.Credentials?.AccessKeyId ?? "");
    assert.equal(view?.principalTags["tenant"], "t9");
    assert.equal(view?.issuedTo, `arn:aws:sts::${ACCT}:assumed-role/credvend-demo/hop1`);
    const override = await sdkError(() =>
      client.send(new AssumeRoleCommand({ RoleArn: chained, RoleSessionName: "hop2", Tags: [{ Key: "Tenant", Value: "evil" }] })),
    );
    assert.equal(override.name, "ValidationError");
  });

  it("role chaining passes a source identity on only where both policies allow sts:SetSourceIdentity for it", async () => {
    const chained = `arn:aws:iam::${ACCT}:role/credvend-demo-chained`;
    const hop = async (sourceIdentity: string) => {
      const first = await stsClient(local).send(new AssumeRoleCommand({ RoleArn: DEMO, RoleSessionName: "hop1", SourceIdentity: sourceIdentity }));
      return stsClient(local, asCreds(first.Credentials)).send(new AssumeRoleCommand({ RoleArn: chained, RoleSessionName: "hop2" }));
    };
    // The chained role's trust allows SetSourceIdentity for *.demo-* only (credvend's
    // <tenant>.<principal> of the dev principals): an inherited "acme.alice" is refused as if it
    // were passed, not carried over unchecked.
    const refused = await sdkError(() => hop("acme.alice"));
    assert.equal(refused.name, "AccessDenied");
    assert.match(refused.message, /sts:SetSourceIdentity/);
    const carried = await hop("acme.demo-app");
    assert.equal(carried.SourceIdentity, "acme.demo-app");
  });

  it("a session policy limits what the session may do next (no sts:AssumeRole granted -> denied)", async () => {
    const first = await stsClient(local).send(
      new AssumeRoleCommand({
        RoleArn: DEMO,
        RoleSessionName: "limited",
        Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }),
      }),
    );
    const err = await sdkError(() =>
      stsClient(local, asCreds(first.Credentials)).send(
        new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCT}:role/credvend-demo-chained`, RoleSessionName: "hop2" }),
      ),
    );
    assert.equal(err.name, "AccessDenied");
  });

  it("GetSessionToken: default 12 hours, MFA recorded, refused with session credentials", async () => {
    const { nowMs } = await local.admin.clock();
    const out = await stsClient(local).send(new GetSessionTokenCommand({ SerialNumber: DEV_MFA_SERIAL, TokenCode: totp(DEV_MFA_TOTP_SECRET, nowMs) }));
    const c = out.Credentials;
    const lifetime = (c?.Expiration?.getTime() ?? 0) - nowMs;
    assert.ok(Math.abs(lifetime - 43200_000) < 5_000, `lifetime ${lifetime}`);
    const view = await local.admin.session(c?.AccessKeyId ?? "");
    assert.equal(view?.kind, "session-token");
    assert.equal(view?.mfaPresent, true);
    const sessionClient = stsClient(local, asCreds(c));
    const me = await sessionClient.send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, `arn:aws:iam::${ACCT}:user/credvend-vendor`);
    // MFA from GetSessionToken carries into AssumeRole: the MFA-gated role now trusts it.
    const mfaRole = await sessionClient.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCT}:role/credvend-demo-mfa`, RoleSessionName: "via-gst" }));
    assert.ok(mfaRole.Credentials);
    const again = await sdkError(() => sessionClient.send(new GetSessionTokenCommand({})));
    assert.equal(again.name, "AccessDenied");
    assert.equal(again.message, "Cannot call GetSessionToken with session credentials");
  });

  it("GetFederationToken: federated-user ARN, policy scoped, no policy means no permissions", async () => {
    const out = await stsClient(local).send(
      new GetFederationTokenCommand({
        Name: "fed-user",
        DurationSeconds: 900,
        Policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }),
        Tags: [{ Key: "tenant", Value: "t1" }],
      }),
    );
    assert.equal(out.FederatedUser?.Arn, `arn:aws:sts::${ACCT}:federated-user/fed-user`);
    assert.equal(out.FederatedUser?.FederatedUserId, `${ACCT}:fed-user`);
    assert.ok((out.PackedPolicySize ?? 0) > 0);
    const me = await stsClient(local, asCreds(out.Credentials)).send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, `arn:aws:sts::${ACCT}:federated-user/fed-user`);
    assert.equal(me.UserId, `${ACCT}:fed-user`);
    const denied = await sdkError(() => stsClient(local, "demo-app").send(new GetFederationTokenCommand({ Name: "fed-user" })));
    assert.equal(denied.name, "AccessDenied");
    const noRole = await sdkError(() =>
      stsClient(local, asCreds(out.Credentials)).send(new AssumeRoleCommand({ RoleArn: DEMO, RoleSessionName: "x1" })),
    );
    assert.equal(noRole.name, "AccessDenied");
  });

  it("expired temporary credentials answer ExpiredToken after the clock moves", async () => {
    const out = await stsClient(local).send(new AssumeRoleCommand({ RoleArn: DEMO, RoleSessionName: "short", DurationSeconds: 900 }));
    const client = stsClient(local, asCreds(out.Credentials));
    await client.send(new GetCallerIdentityCommand({}));
    await local.admin.advanceClock(901);
    const err = await sdkError(() => client.send(new GetCallerIdentityCommand({})));
    assert.equal(err.name, "ExpiredToken");
    assert.equal(err.$metadata?.httpStatusCode, 403);
    const view = await local.admin.session(out.Credentials?.AccessKeyId ?? "");
    assert.equal(view?.expired, true);
  });
});
