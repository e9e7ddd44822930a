// Templates with `reuse:` serve still-fresh credentials to identical requests (new request ids),
// and identical calls in flight share one AssumeRole, so STS sees far fewer calls than vends.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { uniqueName } from "@credvend/testkit";
import { demoConfig, s3ReadTemplate } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";

const tenant = uniqueName("reuse");
const reusable = s3ReadTemplate("s3-reusable", "    reuse: { min_remaining_seconds: 300 }\n");
const config = demoConfig({ tenants: [tenant], extraTemplates: reusable })
  .replace('templates: ["s3-tenant-read"]', 'templates: ["s3-tenant-read", "s3-reusable"]');
let h: Harness;
const assumeRoleCalls = async () => (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;

before(async () => {
  h = await startHarness({ config });
});
after(async () => {
  await h?.stop();
});

test("identical requests with new ids reuse fresh credentials: one AssumeRole per principal", async () => {
  const before = await assumeRoleCalls();
  const demo = h.client(tenant, "demo-app");
  const ask = () => demo.request({ template: "s3-reusable", params: { bucket: "acme-data" } });
  const concurrent = await Promise.all(Array.from({ length: 20 }, ask));
  const sequential = [await ask(), await ask()];
  const all = [...concurrent, ...sequential];
  assert.equal(new Set(all.map((c) => c.requestId)).size, all.length, "every request had its own id");
  assert.equal(new Set(all.map((c) => c.accessKeyId)).size, 1, "all got the same fresh credentials");
  assert.equal(await assumeRoleCalls(), before + 1);

  const other = await h.client(tenant, "other-app").request({ template: "s3-reusable", params: { bucket: "acme-data" } });
  assert.notEqual(other.accessKeyId, all[0]?.accessKeyId, "another principal never shares them");
  const differentParams = await demo.request({ template: "s3-reusable", params: { bucket: "shared-data" } });
  assert.notEqual(differentParams.accessKeyId, all[0]?.accessKeyId, "other parameters are another STS call");
  assert.equal(await assumeRoleCalls(), before + 3);
});

test("templates without reuse call STS once per request", async () => {
  const before = await assumeRoleCalls();
  const demo = h.client(tenant, "demo-app");
  await Promise.all(Array.from({ length: 5 }, () => demo.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } })));
  assert.equal(await assumeRoleCalls(), before + 5);
});
