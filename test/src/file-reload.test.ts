// File mode (dev): a reload (SIGHUP) applies a valid new file and refuses an invalid one, keeping
// the last good config.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { uniqueName } from "@credvend/testkit";
import { writeFileSync } from "node:fs";
import { demoConfig } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";

const tenant = uniqueName("reload");
const v1 = demoConfig({ tenants: [tenant] });
const v2 = v1.replace('params: { bucket: ["acme-data", "shared-data"] }', 'params: { bucket: ["acme-data", "shared-data", "fresh-data"] }');
let h: Harness;

before(async () => {
  h = await startHarness({ config: v1 });
});
after(async () => {
  await h?.stop();
});

test("reload swaps to a valid file and refuses an invalid one", async () => {
  const client = h.client(tenant, "demo-app");
  const fresh = () => client.request({ template: "s3-tenant-read", params: { bucket: "fresh-data" } });
  await assert.rejects(fresh(), (e: unknown) => e instanceof CredvendError && e.code === "PERMISSION_DENIED");

  writeFileSync(h.configFile, "templates: [this is not a template map\n");
  h.vendor.reload();
  const refused = h.vendor.worker.stats().config;
  assert.equal(refused.version, "file:1");
  assert.ok(refused.lastRefusal && refused.lastRefusal.problems.length > 0);
  assert.match((await client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } })).accessKeyId, /^ASIA/);

  writeFileSync(h.configFile, v2);
  h.vendor.reload();
  const accepted = h.vendor.worker.stats().config;
  assert.equal(accepted.version, "file:2");
  assert.equal(accepted.lastRefusal, undefined);
  assert.match((await fresh()).accessKeyId, /^ASIA/);
});
