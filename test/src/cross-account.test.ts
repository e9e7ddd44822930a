// A template whose role lives in another account, end to end through NATS, the worker and
// aws-local: AWS's cross-account rule needs an Allow on both sides (the role's trust policy in
// account B, and the worker's own identity policy in account A), and the role's ExternalId
// condition must match what the template sends.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { DEV_ACCOUNT_ID, DEV_SEED, validateSeed } from "@credvend/aws-local";
import { uniqueName } from "@credvend/testkit";
import { REGION, startHarness, type Harness } from "./support/harness.js";
import { reason } from "./support/outcome.js";

const PARTNER = "222233334444";
const EXTERNAL_ID = "test-only-partner-external-id";
const WORKER_ARN = `arn:aws:iam::${DEV_ACCOUNT_ID}:user/credvend-vendor`;
const role = (name: string) => `arn:aws:iam::${PARTNER}:role/${name}`;

/** B's roles trust the worker's user (with an ExternalId); A's worker may assume only `partner-data`. */
function seed() {
  const trust = {
    Version: "2012-10-17",
    Statement: [{
      Effect: "Allow",
      Principal: { AWS: WORKER_ARN },
      Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
      Condition: { StringEquals: { "sts:ExternalId": EXTERNAL_ID } },
    }],
  };
  const readOnly = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] };
  return validateSeed({
    ...DEV_SEED,
    users: DEV_SEED.users.map((u) => (u.name !== "credvend-vendor" ? u : {
      ...u,
      policies: [...u.policies, {
        name: "assume-partner-data",
        document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], Resource: role("partner-data") }] },
      }],
    })),
    accounts: [{
      account_id: PARTNER,
      roles: [
        { name: "partner-data", trust_policy: trust, policies: [{ name: "read", document: readOnly }] },
        // Trusts the worker just the same, but the worker's own IAM policy does not name it.
        { name: "partner-other", trust_policy: trust, policies: [{ name: "read", document: readOnly }] },
      ],
    }],
  }, "cross-account test seed");
}

function config(tenant: string): string {
  const template = (name: string, roleName: string, externalId: string) => `  ${name}:
    kind: assume_role
    role_arn: ${role(roleName)}
    external_id: ${externalId}
    duration: { default: 900, max: 3600 }
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: ["s3:GetObject"]
          Resource: ["arn:aws:s3:::partner-bucket/{{tenant}}/*"]
`;
  return `templates:
${template("partner-data", "partner-data", EXTERNAL_ID)}${template("partner-wrong-id", "partner-data", "not-the-partner-external-id")}${template("partner-other", "partner-other", EXTERNAL_ID)}access:
  - tenants: ["${tenant}"]
    principals: ["demo-app"]
    templates: ["partner-*"]
rate_limits:
  per_principal: { per_second: 1000, burst: 1000 }
  per_tenant: { per_second: 10000, burst: 10000 }
`;
}

describe("a role in another account, with an ExternalId", () => {
  let h: Harness;
  const tenant = uniqueName("xacct");
  const stsClients: STSClient[] = [];
  
  before(async () => {
    h = await startHarness({ config: config(tenant), seed: seed() });
  });
  after(async () => {
    for (const c of stsClients) c.destroy();
    await h?.stop();
  });

  test("both sides allow and the ExternalId matches: credentials of the partner account's role", async () => {
    const creds = await h.client(tenant, "demo-app").request({ template: "partner-data" });
    const sts = new STSClient({ region: REGION, endpoint: h.awsLocal.endpoint, credentials: creds });
    stsClients.push(sts);
    const who = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(who.Account, PARTNER);
    assert.match(who.Arn ?? "", new RegExp(`^arn:aws:sts::${PARTNER}:assumed-role/partner-data/`));
  });

  test("a wrong ExternalId is refused by the role's trust policy", async () => {
    const before = (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0;
    assert.equal(await reason(h.client(tenant, "demo-app", { attempts: 1 }).request({ template: "partner-wrong-id" })), "CV_ERR_STS_ACCESS_DENIED");
    assert.equal((await h.awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0, before, "no session was issued");
  });

  test("the role trusts the worker, but the worker's own identity policy does not allow it: refused", async () => {
    assert.equal(await reason(h.client(tenant, "demo-app", { attempts: 1 }).request({ template: "partner-other" })), "CV_ERR_STS_ACCESS_DENIED");
  });
});
