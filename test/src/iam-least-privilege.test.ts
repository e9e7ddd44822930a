// `credvend iam worker-policy` and `requester-policy`, applied in aws-local as the only identity
// policies of the worker's and the requester's users: a vend works with exactly those permissions
// and fails without each one of them (every action, and every role the worker assumes). The roles
// trust the account root, so (as on AWS) their trust policy delegates to each caller's IAM policy.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEV_ACCOUNT_ID, DEV_SEED, validateSeed, type Seed } from "@credvend/aws-local";
import { uniqueName } from "@credvend/testkit";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { credvend } from "./support/cli.js";
import { reason } from "./support/outcome.js";
import { REPLY_KEY_ARN, startHarness, type Harness } from "./support/harness.js";

interface Statement { Sid: string; Effect: "Allow"; Action: string[]; Resource: string[]; Condition?: unknown }
interface Policy { Version: string; Statement: Statement[] }

const tenant = uniqueName("leastpriv");
const ROLE = `arn:aws:iam::${DEV_ACCOUNT_ID}:role/credvend-least`;
const QUIET_ROLE = `arn:aws:iam::${DEV_ACCOUNT_ID}:role/credvend-least-quiet`;

// Two roles: one session carries a source identity, the other (source_identity: false) does not.
const CONFIG = `templates:
  least-read:
    kind: assume_role
    role_arn: ${ROLE}
    policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::least/{{tenant}}/*" }] }
  least-quiet:
    kind: assume_role
    role_arn: ${QUIET_ROLE}
    source_identity: false
    policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::least/{{tenant}}/*" }] }
access:
  - { tenants: ["${tenant}"], principals: [demo-app, other-app], templates: [least-read, least-quiet] }
rate_limits:
  per_principal: { per_second: 1000, burst: 1000 }
  per_tenant: { per_second: 1000, burst: 1000 }
`;

const dir = mkdtempSync(path.join(tmpdir(), "credvend-least-"));
const configFile = path.join(dir, "credvend.yaml");
writeFileSync(configFile, CONFIG);
after(() => rmSync(dir, { recursive: true, force: true }));

async function printed(args: readonly string[]): Promise<Policy> {
  const r = await credvend(args);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Policy;
}

const trustTheAccount = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${DEV_ACCOUNT_ID}:root` }, Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"] }],
};

/** The dev seed with the two roles, and these as the only IAM policies of the worker and the requesters. */
function seedWith(vendor: Policy, requesters: Readonly<Record<string, Policy | undefined>>): Seed {
  const policies = (name: string, doc: Policy | undefined) => (doc === undefined ? [] : [{ name, document: doc }]);
  return validateSeed({
    ...DEV_SEED,
    users: DEV_SEED.users.map((u) => {
      if (u.name === "credvend-vendor") return { ...u, policies: policies("credvend-worker", vendor) };
      if (Object.hasOwn(requesters, u.name)) return { ...u, policies: policies("credvend-requester", requesters[u.name]) };
      return u;
    }),
    roles: [
      ...DEV_SEED.roles,
      { name: "credvend-least", trust_policy: trustTheAccount, max_session_duration: 3600 },
      { name: "credvend-least-quiet", trust_policy: trustTheAccount, max_session_duration: 3600 },
    ],
  } as Parameters<typeof validateSeed>[0], "least-privilege seed");
}

/** The policy without `action` (a statement left with no action goes too), or without `resource` for it. */
function without(policy: Policy, action: string, resource?: string): Policy {
  const Statement = policy.Statement.flatMap((s) => {
    if (!s.Action.includes(action)) return [s];
    if (resource === undefined) return s.Action.length === 1 ? [] : [{ ...s, Action: s.Action.filter((a) => a !== action) }];
    // Only this action loses the resource: it moves to a statement of its own.
    const rest = s.Action.filter((a) => a !== action);
    const narrowed = { ...s, Sid: `${s.Sid}Narrowed`, Action: [action], Resource: s.Resource.filter((r) => r !== resource) };
    return [...(rest.length ? [{ ...s, Action: rest }] : []), ...(narrowed.Resource.length ? [narrowed] : [])];
  });
  assert.notDeepEqual(Statement, policy.Statement, `${action} ${resource ?? ""} is in the policy`);
  return { ...policy, Statement };
}

async function vend(h: Harness, template: string, principal = "demo-app"): Promise<string> {
  const outcome = await reason(h.client(tenant, principal, { attempts: 1, timeoutMs: 5000 }).request({ template }));
  return outcome;
}

describe("credvend iam worker-policy and requester-policy, applied in aws-local", () => {
  let worker: Policy;
  let requester: Policy;
  let otherTenant: Policy;
  before(async () => {
    worker = await printed(["iam", "worker-policy", configFile, "--reply-key-arn", REPLY_KEY_ARN]);
    requester = await printed(["iam", "requester-policy", "--reply-key-arn", REPLY_KEY_ARN, "--tenant", tenant, "--principal", "demo-app"]);
    otherTenant = await printed(["iam", "requester-policy", "--reply-key-arn", REPLY_KEY_ARN, "--tenant", `${tenant}-x`, "--principal", "other-app"]);
  });

  test("the printed policies name exactly the config's roles and the reply key", () => {
    const all = (p: Policy) => [...new Set(p.Statement.flatMap((s) => s.Action))].sort();
    assert.deepEqual(all(worker), ["kms:DescribeKey", "kms:GenerateDataKey", "sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]);
    const resourcesOf = (action: string) => worker.Statement.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource).sort();
    assert.deepEqual(resourcesOf("sts:AssumeRole"), [ROLE, QUIET_ROLE].sort());
    assert.deepEqual(resourcesOf("sts:SetSourceIdentity"), [ROLE], "only the template that sends a source identity");
    assert.deepEqual(resourcesOf("kms:GenerateDataKey"), [REPLY_KEY_ARN]);
    assert.deepEqual(all(requester), ["kms:Decrypt"]);
  });

  describe("with exactly these permissions", () => {
    let h: Harness;
    const lines: string[] = [];
    before(async () => {
      // other-app's policy is generated for another tenant: the tenant condition alone refuses it.
      h = await startHarness({ config: CONFIG, seed: seedWith(worker, { "demo-app": requester, "other-app": otherTenant }), env: { CREDVEND_LOG_LEVEL: "info" }, logLines: lines });
    });
    after(async () => h?.stop());

    test("the worker finds its reply key usable", () => {
      assert.ok(lines.some((l) => l.includes("\"reply key ready\"")), lines.join(""));
    });

    test("both templates vend, and the credentials are the template's role", async () => {
      for (const [template, role] of [["least-read", "credvend-least"], ["least-quiet", "credvend-least-quiet"]] as const) {
        const creds = await h.client(tenant, "demo-app", { attempts: 1 }).request({ template });
        assert.match(creds.arn, new RegExp(`:assumed-role/${role}/`));
      }
    });

    test("a requester whose policy names another tenant can not open its reply", async () => {
      assert.equal(await vend(h, "least-read", "other-app"), "CV_ERR_CLIENT_DECRYPT");
    });
  });

  // Each permission the worker policy grants, taken away in turn.
  const cases: { name: string; edit: (p: Policy) => Policy; expect: Readonly<Record<string, string>> }[] = [
    { name: "sts:AssumeRole", edit: (p) => without(p, "sts:AssumeRole"), expect: { "least-read": "CV_ERR_STS_ACCESS_DENIED", "least-quiet": "CV_ERR_STS_ACCESS_DENIED" } },
    { name: "sts:TagSession", edit: (p) => without(p, "sts:TagSession"), expect: { "least-read": "CV_ERR_STS_ACCESS_DENIED", "least-quiet": "CV_ERR_STS_ACCESS_DENIED" } },
    { name: "sts:SetSourceIdentity", edit: (p) => without(p, "sts:SetSourceIdentity"), expect: { "least-read": "CV_ERR_STS_ACCESS_DENIED", "least-quiet": "served" } },
    { name: "sts:AssumeRole on the quiet role", edit: (p) => without(p, "sts:AssumeRole", QUIET_ROLE), expect: { "least-read": "served", "least-quiet": "CV_ERR_STS_ACCESS_DENIED" } },
    { name: "sts:AssumeRole on the source-identity role", edit: (p) => without(p, "sts:AssumeRole", ROLE), expect: { "least-read": "CV_ERR_STS_ACCESS_DENIED", "least-quiet": "served" } },
    { name: "kms:GenerateDataKey", edit: (p) => without(p, "kms:GenerateDataKey"), expect: { "least-read": "CV_ERR_KMS_DENIED", "least-quiet": "CV_ERR_KMS_DENIED" } },
  ];
  for (const c of cases) {
    describe(`without ${c.name}`, () => {
      let h: Harness;
      before(async () => {
        h = await startHarness({ config: CONFIG, seed: seedWith(c.edit(worker), { "demo-app": requester }) });
      });
      after(async () => h?.stop());

      test("the templates that need it are refused", async () => {
        const got: Record<string, string> = {};
        for (const template of Object.keys(c.expect)) got[template] = await vend(h, template);
        assert.deepEqual(got, c.expect);
      });
    });
  }

  // The worker's start-up and readiness check: without it the worker still seals (GenerateDataKey
  // is its own grant) but reports the reply key unusable, so /readyz stays 503 and a deployment
  // never takes it into service.
  describe("without kms:DescribeKey", () => {
    let h: Harness;
    const lines: string[] = [];
    before(async () => {
      h = await startHarness({ config: CONFIG, seed: seedWith(without(worker, "kms:DescribeKey"), { "demo-app": requester }), env: { CREDVEND_LOG_LEVEL: "info" }, logLines: lines });
    });
    after(async () => h?.stop());

    test("the worker reports the reply key unusable (not ready)", () => {
      const unusable = lines.map((l) => JSON.parse(l) as { msg?: string; reason?: string; problem?: string }).find((l) => l.msg?.startsWith("reply key unusable"));
      assert.ok(unusable, lines.join(""));
      assert.equal(unusable.reason, "CV_ERR_KMS_DENIED");
      assert.match(unusable.problem ?? "", /DescribeKey/);
      assert.ok(!lines.some((l) => l.includes("\"reply key ready\"")), "with the full policy the worker logs \"reply key ready\"");
    });
  });

  describe("a requester without the requester policy", () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ config: CONFIG, seed: seedWith(worker, { "demo-app": undefined }) });
    });
    after(async () => h?.stop());

    test("can not open its reply", async () => {
      assert.equal(await vend(h, "least-quiet"), "CV_ERR_CLIENT_DECRYPT");
    });
  });
});
