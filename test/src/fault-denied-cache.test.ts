// Negative caching: STS AccessDenied answers the same (principal, template, params) for a few
// seconds, so a misconfigured client retrying in a loop costs one AssumeRole per TTL, not one per try.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { uniqueName } from "@credvend/testkit";
import { demoConfig } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";

const tenant = uniqueName("denied");
let h: Harness;
const assumeRole = async () => (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;

before(async () => {
  h = await startHarness({ config: demoConfig({ tenants: [tenant] }), env: { CREDVEND_DENIED_CACHE_MS: "1000" } });
});
after(async () => {
  await h?.stop();
});

const denied = (principal: string) =>
  assert.rejects(h.client(tenant, principal, { attempts: 1 }).request({ template: "untrusted-role", params: {} }),
    (e) => e instanceof CredvendError && e.code === "PERMISSION_DENIED" && e.reason === "CV_ERR_STS_ACCESS_DENIED");

test("a request STS denied is answered from the cache for its TTL: one AssumeRole for ten tries; another principal, or after the TTL, asks STS again", async () => {
  for (let i = 0; i < 10; i += 1) await denied("demo-app");
  assert.equal(await assumeRole(), 1, "ten denied tries, one AssumeRole");
  await denied("other-app");
  assert.equal(await assumeRole(), 2, "another principal is its own entry");
  await new Promise((r) => setTimeout(r, 1100));
  await denied("demo-app");
  assert.equal(await assumeRole(), 3, "after the TTL STS is asked again (a fixed trust policy takes effect)");
});
