// Multi-tenant scoping, end to end: a tenant's request can only ever name its own resources, and a
// platform principal acting for a customer gets that customer's scope only where a rule allows it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { uniqueName } from "@credvend/testkit";
import { startHarness, type Harness } from "./support/harness.js";
import { TENANT_DATA_TEMPLATE } from "./support/config.js";

const tenantA = uniqueName("ta");
const tenantB = uniqueName("tb");
const tenantC = uniqueName("tc");
const platform = uniqueName("plat");

const config = `templates:
${TENANT_DATA_TEMPLATE}    tags: { team: "{{tenant}}" }
access:
  - name: own-data
    tenants: ["${tenantA}", "${tenantB}", "${tenantC}"]
    principals: ["demo-app"]
    templates: ["tenant-data"]
    params: { customer: "{{tenant}}" }
  - name: platform-for-b
    tenants: ["${platform}"]
    principals: ["demo-app"]
    templates: ["tenant-data"]
    on_behalf_of: ["${tenantB}"]
    params: { customer: "{{tenant}}" }
rate_limits:
  per_principal: { per_second: 1000, burst: 1000 }
`;

describe("multi-tenant scoping against aws-local", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ config });
  });
  after(async () => {
    await h?.stop();
  });

  const sessionOf = async (accessKeyId: string) => {
    const s = await h.awsLocal.admin.session(accessKeyId);
    assert.ok(s);
    return { policy: JSON.stringify(s.sessionPolicy), tags: s.sessionTags };
  };

  test("tenant A gets a policy naming only A's resources", async () => {
    const creds = await h.client(tenantA, "demo-app").request({ template: "tenant-data", params: { customer: tenantA } });
    const { policy, tags } = await sessionOf(creds.accessKeyId);
    assert.match(policy, new RegExp(`tenant-data/${tenantA}/\\*`));
    assert.doesNotMatch(policy, new RegExp(tenantB));
    assert.equal(tags["credvend-tenant"], tenantA);
    assert.equal(tags["team"], tenantA);
  });

  test("tenant A cannot ask for B's resources, however it phrases the parameter", async () => {
    for (const customer of [tenantB, `${tenantA}/../${tenantB}`, "*", `${tenantB}/*`]) {
      await assert.rejects(h.client(tenantA, "demo-app").request({ template: "tenant-data", params: { customer } }), (e: unknown) => {
        assert.ok(e instanceof CredvendError);
        assert.ok(["PERMISSION_DENIED", "INVALID_ARGUMENT"].includes(e.code), `${customer}: ${e.code} ${e.message}`);
        return true;
      });
    }
  });

  test("the platform principal acting for B gets exactly B's scope, tagged with both tenants", async () => {
    const creds = await h.client(platform, "demo-app").request({ template: "tenant-data", params: { customer: tenantB }, onBehalfOf: tenantB });
    const { policy, tags } = await sessionOf(creds.accessKeyId);
    assert.match(policy, new RegExp(`tenant-data/${tenantB}/\\*`));
    assert.equal(tags["credvend-tenant"], tenantB);
    assert.equal(tags["credvend-caller-tenant"], platform);
    assert.equal(tags["team"], tenantB);
  });

  test("the platform principal cannot act for C, nor for B with C's resources", async () => {
    await assert.rejects(h.client(platform, "demo-app").request({ template: "tenant-data", params: { customer: tenantC }, onBehalfOf: tenantC }),
      (e: unknown) => e instanceof CredvendError && e.code === "PERMISSION_DENIED" && e.reason === "CV_ERR_ON_BEHALF_OF_DENIED");
    await assert.rejects(h.client(platform, "demo-app").request({ template: "tenant-data", params: { customer: tenantC }, onBehalfOf: tenantB }),
      (e: unknown) => e instanceof CredvendError && e.code === "PERMISSION_DENIED");
  });

  test("the platform principal without on_behalf_of has no scope of its own", async () => {
    await assert.rejects(h.client(platform, "demo-app").request({ template: "tenant-data", params: { customer: platform } }),
      (e: unknown) => e instanceof CredvendError && e.code === "PERMISSION_DENIED");
  });
});
