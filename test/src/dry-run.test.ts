// The dry run is what is sent: for each kind of template, `credvend templates render` prints a
// request, a real vend through NATS and the worker makes the call, and aws-local's introspection of
// the session it issued holds exactly the printed input (role, session name, policy, ARNs, tags,
// transitive keys, source identity, federated name, duration). The session_token and
// federation_token templates are signed with their own profile: never the worker's identity.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEV_ACCOUNT_ID, devCredentials, type SessionView } from "@credvend/aws-local";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { startHarness, type Harness } from "./support/harness.js";
import { credvend } from "./support/cli.js";

const tenant = uniqueName("dry");
const principal = "demo-app";
const CONFIG = `
templates:
  ar-full:
    kind: assume_role
    role_arn: arn:aws:iam::${DEV_ACCOUNT_ID}:role/credvend-demo
    duration: { default: 1200, max: 3600 }
    params:
      bucket: { pattern: "[a-z0-9-]+", max_length: 40 }
      team: { type: enum, values: [blue, green] }
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: ["s3:GetObject", "s3:ListBucket"]
          Resource: ["arn:aws:s3:::{{bucket}}", "arn:aws:s3:::{{bucket}}/{{tenant}}/*"]
          Condition: { StringEquals: { "aws:ResourceTag/team": "{{team}}" } }
    tags: { team: "{{team}}", "cost-center": "cc-{{bucket}}" }
    transitive_tag_keys: [team]
  ar-arns:
    kind: assume_role
    role_arn: arn:aws:iam::${DEV_ACCOUNT_ID}:role/credvend-demo
    source_identity: false
    policy_arns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
  st:
    kind: session_token
    credential_source: { profile: dry-run-user }
    duration: { default: 1800 }
  ft:
    kind: federation_token
    credential_source: { profile: dry-run-federator }
    federation_name: "{{principal}}-fed"
    policy: { Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::shared/{{tenant}}/*" }] }
    tags: { purpose: dry-run }
access:
  - { tenants: ["${tenant}"], principals: ["${principal}"], templates: ["ar-*", st, ft] }
`;
const REQUESTS: Record<string, Record<string, string>> = { "ar-full": { bucket: "acme-data", team: "green" }, "ar-arns": {}, st: {}, ft: {} };

let h: Harness;
let dir: string;
/** One request id per template, and its dry run, printed by the CLI before anything is vended. */
const requestIds = new Map(Object.keys(REQUESTS).map((t) => [t, uniqueRequestId()]));
const printedRuns = new Map<string, DryRun>();
let configFile: string;
const savedCredentialsFile = process.env.AWS_SHARED_CREDENTIALS_FILE;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "credvend-dry-run-"));
  configFile = path.join(dir, "credvend.yaml");
  writeFileSync(configFile, CONFIG);
  // The IAM users those templates vend for, as the worker's AWS shared credentials file holds them.
  const user = devCredentials("demo-app");
  const federator = devCredentials("credvend-vendor");
  const credentials = path.join(dir, "credentials");
  writeFileSync(credentials, `[dry-run-user]\naws_access_key_id = ${user.accessKeyId}\naws_secret_access_key = ${user.secretAccessKey}\n`
    + `[dry-run-federator]\naws_access_key_id = ${federator.accessKeyId}\naws_secret_access_key = ${federator.secretAccessKey}\n`, { mode: 0o600 });
  process.env.AWS_SHARED_CREDENTIALS_FILE = credentials;
  const [harness] = await Promise.all([
    startHarness({ config: CONFIG }),
    ...[...requestIds].map(async ([t, id]) => printedRuns.set(t, await dryRun(t, id))),
  ]);
  h = harness;
});
after(async () => {
  await h?.stop();
  if (savedCredentialsFile === undefined) delete process.env.AWS_SHARED_CREDENTIALS_FILE;
  else process.env.AWS_SHARED_CREDENTIALS_FILE = savedCredentialsFile;
  rmSync(dir, { recursive: true, force: true });
});

interface DryRun {
  call: string;
  signedWithProfile?: string;
  request: Record<string, unknown>;
}

async function dryRun(template: string, requestId: string): Promise<DryRun> {
  const params = Object.entries(REQUESTS[template] ?? {}).flatMap(([k, v]) => ["--param", `${k}=${v}`]);
  const r = await credvend(["templates", "render", configFile, "--template", template, "--tenant", tenant, "--principal", principal, "--request-id", requestId, ...params]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return JSON.parse(r.stdout) as DryRun;
}

/** What aws-local saw, in STS's own parameter names, for the fields the dry run printed. */
function received(view: SessionView, printed: Record<string, unknown>): Record<string, unknown> {
  const tags = Object.entries(view.sessionTags).map(([Key, Value]) => ({ Key, Value }));
  const seen: Record<string, unknown> = {
    RoleArn: view.roleArn,
    RoleSessionName: view.roleSessionName,
    Name: view.federatedUserName,
    SourceIdentity: view.sourceIdentity,
    DurationSeconds: Math.round((view.expiresAtMs - view.issuedAtMs) / 1000),
    PolicyArns: view.policyArns.length > 0 ? view.policyArns.map((arn) => ({ arn })) : undefined,
    Tags: tags.length > 0 ? tags : undefined,
    TransitiveTagKeys: view.transitiveTagKeys.length > 0 ? [...view.transitiveTagKeys] : undefined,
  };
  // aws-local keeps the effective session policy: the inline statements (plus managed ones).
  if (typeof printed.Policy === "string") {
    const statements = view.sessionPolicy?.Statement;
    seen.Policy = JSON.stringify({ ...JSON.parse(printed.Policy), Statement: statements });
  }
  return Object.fromEntries(Object.keys(printed).map((k) => [k, seen[k]]));
}

for (const template of Object.keys(REQUESTS)) {
  test(`dry run equals what aws-local receives: ${template}`, async () => {
    const requestId = requestIds.get(template) ?? "";
    const printed = printedRuns.get(template);
    assert.ok(printed !== undefined);
    const creds = await h.client(tenant, principal).request({ template, params: REQUESTS[template] ?? {}, requestId });
    const view = await h.awsLocal.admin.session(creds.accessKeyId);
    assert.ok(view !== undefined, "aws-local issued the vended credentials");
    assert.deepEqual(received(view, printed.request), printed.request);
    assert.ok(Object.keys(printed.request).length >= 1);
    if (template === "st") {
      // Signed with the template's profile (demo-app's IAM user), not as the worker.
      assert.equal(printed.signedWithProfile, "dry-run-user");
      assert.equal(view.issuedTo, `arn:aws:iam::${DEV_ACCOUNT_ID}:user/demo-app`);
    }
  });
}
