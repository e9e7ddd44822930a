// The reply key's policy names the account root, which in AWS delegates to IAM: each identity's own
// IAM policy must also allow its KMS call. End to end: a requester whose IAM policy lacks
// kms:Decrypt can not open its reply, and a worker whose IAM policy lacks kms:GenerateDataKey can
// not seal (and, since the data key comes before STS, spends no AssumeRole trying).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEV_SEED, validateSeed, type Seed } from "@credvend/aws-local";
import { uniqueName } from "@credvend/testkit";
import { demoConfig } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";
import { reason } from "./support/outcome.js";


/** The dev seed with one user's IAM policies changed by `edit` (the key policy stays as it is). */
function seedWith(user: string, edit: (policiesJson: string) => string): Seed {
  return validateSeed({
    ...DEV_SEED,
    users: DEV_SEED.users.map((u) => (u.name === user ? { ...u, policies: JSON.parse(edit(JSON.stringify(u.policies))) as typeof u.policies } : u)),
  }, `dev seed, ${user} changed`);
}

describe("KMS key policy delegating to IAM, through the worker", () => {
  const tenant = uniqueName("kmsiam");

  describe("a requester without kms:Decrypt in its IAM policy", () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ config: demoConfig({ tenants: [tenant] }), seed: seedWith("demo-app", () => "[]") });
    });
    after(async () => h?.stop());

    test("can not open its reply, while a requester whose IAM allows it can", async () => {
      assert.equal(await reason(h.client(tenant, "demo-app", { attempts: 1 }).request({ template: "s3-tenant-read", params: { bucket: "acme-data" } })), "CV_ERR_CLIENT_DECRYPT");
      const creds = await h.client(tenant, "other-app").request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
      assert.match(creds.accessKeyId, /^ASIA/);
    });
  });

  describe("a worker without kms:GenerateDataKey in its IAM policy", () => {
    let h: Harness;
    before(async () => {
      const withoutGenerate = (json: string) => {
        const edited = json.replaceAll("\"kms:GenerateDataKey\",", "");
        assert.notEqual(edited, json, "the dev seed's worker policy names kms:GenerateDataKey");
        return edited;
      };
      h = await startHarness({ config: demoConfig({ tenants: [tenant] }), seed: seedWith("credvend-vendor", withoutGenerate) });
    });
    after(async () => h?.stop());

    test("can not seal, and spends no AssumeRole", async () => {
      assert.equal(await reason(h.client(tenant, "demo-app", { attempts: 1 }).request({ template: "s3-tenant-read", params: { bucket: "acme-data" } })), "CV_ERR_KMS_DENIED");
      assert.equal((await h.awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0, 0);
    });
  });
});
