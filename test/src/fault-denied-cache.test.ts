// Negative caching: STS AccessDenied answers the same STS call for the same caller for a few
// seconds, so a misconfigured client retrying in a loop costs one AssumeRole per TTL, not one per
// try; a config reload that changes the call reaches STS at once.
import { writeFileSync } from "node:fs";
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

test("a reload that changes the template's call reaches STS at once, well within the TTL", async () => {
  const own = uniqueName("denied-reload");
  const long = await startHarness({ config: demoConfig({ tenants: [own] }), env: { CREDVEND_DENIED_CACHE_MS: "300000" } });
  try {
    const request = () => long.client(own, "demo-app", { attempts: 1 }).request({ template: "untrusted-role", params: {} });
    await assert.rejects(request(), (e) => e instanceof CredvendError && e.reason === "CV_ERR_STS_ACCESS_DENIED");
    await assert.rejects(request(), (e) => e instanceof CredvendError && /remembered for \d+ s more/.test(e.message), "remembered");
    // The operator points the template at a role that trusts the worker.
    writeFileSync(long.configFile, demoConfig({ tenants: [own] }).replace("role/credvend-demo-external", "role/credvend-demo"));
    long.vendor.reload();
    assert.equal(long.vendor.worker.stats().config.version, "file:2");
    assert.match((await request()).accessKeyId, /^ASIA/);
  } finally {
    await long.stop();
  }
});
