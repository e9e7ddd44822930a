// `credvend revoke` end to end: credentials vended through NATS + the worker work (KMS Encrypt,
// which aws-local authorizes against the session's role policies on every call); the real CLI
// writes the deny through @aws-sdk/client-iam; the same credentials are then refused with
// AccessDenied while credentials issued after the revocation time work, and a --principal
// revocation leaves other principals' sessions alone.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from "@aws-sdk/client-iam";
import { DEV_ACCOUNT_ID, DEV_DEMO_DATA_KEY_ID, devCredentials } from "@credvend/aws-local";
import type { VendedCredentials } from "@credvend/client";
import { uniqueName } from "@credvend/testkit";
import { readFileSync, writeFileSync } from "node:fs";
import { credvend, type CliResult } from "./support/cli.js";
import { REGION, startHarness, type Harness } from "./support/harness.js";

const DATA_KEY_ARN = `arn:aws:kms:${REGION}:${DEV_ACCOUNT_ID}:key/${DEV_DEMO_DATA_KEY_ID}`;
const ROLE = "credvend-demo";

/** An assume_role template on ROLE that may use the data key (`extra`: more YAML lines at its level). */
const kmsTemplate = (name: string, extra = "") => `  ${name}:
    kind: assume_role
    role_arn: arn:aws:iam::${DEV_ACCOUNT_ID}:role/${ROLE}
    duration: { default: 900, max: 3600 }
${extra}    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: ["kms:Encrypt"]
          Resource: ["${DATA_KEY_ARN}"]
`;

function config(tenant: string): string {
  return `templates:
${kmsTemplate("kms-data")}${kmsTemplate("kms-reused", "    reuse: { min_remaining_seconds: 60 }\n")}  own-keys:
    kind: session_token
    credential_source: { profile: revoke-test-user }
access:
  - tenants: ["${tenant}"]
    principals: ["demo-app", "other-app"]
    templates: ["kms-data", "kms-reused", "own-keys"]
rate_limits:
  per_principal: { per_second: 1000, burst: 1000 }
  per_tenant: { per_second: 10000, burst: 10000 }
`;
}

describe("credvend revoke (IAM inline deny on the template's role, enforced by aws-local)", () => {
  let h: Harness;
  const tenant = uniqueName("revoke");
  const kmsClients: KMSClient[] = [];
  const operator = devCredentials("credvend-operator");

  const vend = (principal: string) => h.client(tenant, principal).request({ template: "kms-data" });
  const encrypt = (creds: VendedCredentials) => {
    const kms = new KMSClient({ region: REGION, endpoint: h.awsLocal.endpoint, credentials: creds, maxAttempts: 1 });
    kmsClients.push(kms);
    return kms.send(new EncryptCommand({ KeyId: DATA_KEY_ARN, Plaintext: new Uint8Array([7]) }));
  };
  const refused = async (creds: VendedCredentials): Promise<void> => {
    await assert.rejects(encrypt(creds), (err: Error) => {
      assert.equal(err.name, "AccessDeniedException", err.message);
      return true;
    });
  };
  const revoke = (args: readonly string[], who = operator, env: Readonly<Record<string, string>> = {}): Promise<CliResult> =>
    credvend(["revoke", "--config", h.configFile, ...args], {
      AWS_ACCESS_KEY_ID: who.accessKeyId,
      AWS_SECRET_ACCESS_KEY: who.secretAccessKey,
      AWS_SESSION_TOKEN: "",
      AWS_PROFILE: "",
      AWS_ENDPOINT_URL_IAM: h.awsLocal.endpoint,
      NATS_URL: h.natsUrl,
      ...env,
    });
  /** Waits until the printed revocation time has passed, so sessions issued next are not covered. */
  const waitPast = async (result: CliResult): Promise<void> => {
    const iso = /issued before (\S+)/.exec(result.stdout)?.[1];
    assert.ok(iso, result.stdout);
    const wait = Date.parse(iso) - Date.now() + 20;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
  const iam = () => new IAMClient({ region: "us-east-1", endpoint: h.awsLocal.endpoint, credentials: operator });

  before(async () => {
    h = await startHarness({ config: config(tenant) });
  });
  after(async () => {
    for (const k of kmsClients) k.destroy();
    await h?.stop();
  });

  test("revoking a template: issued credentials get AccessDenied, credentials issued after the revocation time work", async () => {
    const old = await vend("demo-app");
    await encrypt(old);
    const result = await revoke(["--template", "kms-data"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^revoked: sessions of template kms-data issued before \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/m);
    assert.match(result.stdout, new RegExp(`^role: arn:aws:iam::${DEV_ACCOUNT_ID}:role/${ROLE}$`, "m"));
    assert.match(result.stdout, /^policy: inline policy credvend-revocations, statement CredvendRevokeAll \(Deny \* on \*\)/m);
    assert.match(result.stdout, /^condition: \{"DateLessThan":\{"aws:TokenIssueTime":"[^"]+Z"\}\}$/m);
    for (const secret of [operator.secretAccessKey, old.secretAccessKey, old.sessionToken]) assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret));

    await refused(old);
    await waitPast(result);
    const fresh = await vend("demo-app");
    assert.notEqual(fresh.accessKeyId, old.accessKeyId);
    await encrypt(fresh);
    await refused(old);

    // Revoking the same scope with an earlier time never weakens the revocation: the later time stays.
    const earlier = await revoke(["--template", "kms-data", "--before", new Date(Date.now() - 3600_000).toISOString()]);
    assert.equal(earlier.code, 0, earlier.stderr);
    assert.equal(/issued before (\S+)/.exec(earlier.stdout)?.[1], /issued before (\S+)/.exec(result.stdout)?.[1]);
    assert.match(earlier.stdout, /it holds 1 revocation\(s\)/);
    await refused(old);
    await encrypt(fresh);
  });

  test("--principal --tenant: that principal's sessions are refused, another principal's keep working; revocations merge", async () => {
    const demo = await vend("demo-app");
    const other = await vend("other-app");
    await encrypt(demo);
    await encrypt(other);
    const result = await revoke(["--template", "kms-data", "--principal", "demo-app", "--tenant", tenant]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`tagged credvend-principal=demo-app, credvend-tenant=${tenant} issued before`));
    assert.match(result.stdout, /"StringEquals":\{"aws:PrincipalTag\/credvend-principal":"demo-app","aws:PrincipalTag\/credvend-tenant":"[^"]+"\}/);
    assert.match(result.stdout, /it holds 2 revocation\(s\)/);
    await refused(demo);
    await encrypt(other);

    // Merged with the earlier whole-template revocation; the role's own policy is untouched.
    const client = iam();
    const names = (await client.send(new ListRolePoliciesCommand({ RoleName: ROLE }))).PolicyNames;
    assert.deepEqual(names, ["credvend-revocations", "demo-permissions"]);
    const doc = JSON.parse(decodeURIComponent((await client.send(new GetRolePolicyCommand({ RoleName: ROLE, PolicyName: "credvend-revocations" }))).PolicyDocument ?? ""));
    assert.deepEqual(doc.Statement.map((s: { Sid: string }) => s.Sid.startsWith("CredvendRevoke")), [true, true]);
    client.destroy();

    await waitPast(result);
    await encrypt(await vend("demo-app"));
  });

  test("a template with reuse: the workers drop the revoked session and confirm; the next request gets a fresh one that works", async () => {
    const reused = (principal: string) => h.client(tenant, principal).request({ template: "kms-reused" });
    const first = await reused("demo-app");
    const again = await reused("demo-app");
    assert.equal(again.accessKeyId, first.accessKeyId, "reuse serves the cached session");
    const other = await reused("other-app");
    const result = await revoke(["--template", "kms-reused", "--principal", "demo-app", "--tenant", tenant]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^workers: 1 of 1 stopped reusing the revoked sessions \(1 cached session\(s\) dropped\)$/m);
    await refused(first);
    await waitPast(result);
    const fresh = await reused("demo-app");
    assert.notEqual(fresh.accessKeyId, first.accessKeyId, "a revoked session is never handed out again");
    await encrypt(fresh);
    assert.equal((await reused("other-app")).accessKeyId, other.accessKeyId, "another principal's reused session is kept");

    // A notice the worker cannot hear (no worker on that NATS) is not reported as applied.
    const none = await revoke(["--template", "kms-reused", "--principal", "demo-app"], operator, { NATS_URL: "nats://127.0.0.1:1" });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /NATS/);
    const skipped = await revoke(["--template", "kms-reused", "--principal", "demo-app", "--no-notify"], operator, { NATS_URL: "nats://127.0.0.1:1" });
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.doesNotMatch(skipped.stdout, /^workers:/m);
  });

  test("clear errors: unknown template, a template without a role, an operator without IAM permissions, a role in another account, a future --before", async () => {
    const unknown = await revoke(["--template", "nope"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /template "nope" is not in .*; it has: kms-data, kms-reused, own-keys/);

    const noRole = await revoke(["--template", "own-keys"]);
    assert.equal(noRole.code, 1);
    assert.match(noRole.stderr, /"own-keys" is a session_token template: .* no role to put a deny on/);

    const notAllowed = await revoke(["--template", "kms-data"], devCredentials("demo-app"));
    assert.equal(notAllowed.code, 1);
    assert.match(notAllowed.stderr, /AccessDenied\): the operator identity lacks iam:GetRole on that role/);

    // The template names a role in another account than the operator's credentials: never its namesake here.
    const elsewhere = h.configFile.replace(/\.yaml$/, "-other-account.yaml");
    writeFileSync(elsewhere, readFileSync(h.configFile, "utf8").replace(`arn:aws:iam::${DEV_ACCOUNT_ID}:role/`, "arn:aws:iam::222222222222:role/"));
    const otherAccount = await credvend(["revoke", "--config", elsewhere, "--template", "kms-data"], {
      AWS_ACCESS_KEY_ID: operator.accessKeyId,
      AWS_SECRET_ACCESS_KEY: operator.secretAccessKey,
      AWS_ENDPOINT_URL_IAM: h.awsLocal.endpoint,
    });
    assert.equal(otherAccount.code, 1);
    assert.match(otherAccount.stderr, /has arn:aws:iam::000000000000:role\/credvend-demo, not the template's role arn:aws:iam::222222222222:role\/credvend-demo: use credentials of account 222222222222/);

    const future = await revoke(["--template", "kms-data", "--before", "2999-01-01T00:00:00Z"]);
    assert.equal(future.code, 2);
    assert.match(future.stderr, /--before .* is in the future/);

    const badPrincipal = await revoke(["--template", "kms-data", "--principal", "Demo App"]);
    assert.equal(badPrincipal.code, 2);
    assert.match(badPrincipal.stderr, /--principal "Demo App" is not a credvend name/);
  });
});
