// The worker's generated NATS grant is least privilege too: with it, a worker reads and watches
// the config bucket and serves requests, but can neither write the config nor touch streams.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { uniqueName } from "@credvend/testkit";
import { CONFIG_KV_BUCKET, CONFIG_KV_KEY, openConfigBucket } from "@credvend/worker";
import { connect } from "nats";
import { startAuthorizedStack, testPassword, type AuthorizedStack } from "./support/authorized-stack.js";
import { demoConfig } from "./support/config.js";

const tenant = uniqueName("perm");
const v1 = demoConfig({ tenants: [tenant] });
const v2 = v1.replace('params: { bucket: ["acme-data", "shared-data"] }', 'params: { bucket: ["acme-data", "shared-data", "fresh-data"] }');
// An unrestricted operator (who runs `credvend config push`) beside the generated block.
const operator = { user: "operator", password: testPassword() };
let stack: AuthorizedStack;

before(async () => {
  stack = await startAuthorizedStack({ tenant, configText: v1, admin: operator });
});

after(async () => {
  await stack?.stop();
});

test("on its generated grant a worker serves, reads and watches the config, and cannot change it", async () => {
  const { client, vendor, vendorUser } = stack;
  assert.match((await client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } })).accessKeyId, /^ASIA/);

  const kv = await openConfigBucket(stack.adminNc, CONFIG_KV_BUCKET, { create: true });
  const rev = await kv.put(CONFIG_KV_KEY, v2);
  for (let i = 0; i < 250 && vendor.config.status().version !== `kv:${rev}`; i += 1) await new Promise((r) => setTimeout(r, 20));
  assert.equal(vendor.config.status().version, `kv:${rev}`, "the watch works on the narrowed grant");
  assert.match((await client.request({ template: "s3-tenant-read", params: { bucket: "fresh-data" } })).accessKeyId, /^ASIA/);

  // The worker's own identity may not write the config nor manage streams.
  const workerNc = await connect({ servers: stack.nats.url, user: vendorUser.user, pass: vendorUser.password });
  try {
    await assert.rejects(workerNc.jetstream({ timeout: 1000 }).publish(`$KV.${CONFIG_KV_BUCKET}.${CONFIG_KV_KEY}`, new TextEncoder().encode("templates: {}")));
    const jsm = await workerNc.jetstreamManager({ timeout: 1000 });
    await assert.rejects(jsm.streams.delete(`KV_${CONFIG_KV_BUCKET}`));
    await assert.rejects(jsm.streams.add({ name: "SNEAKY", subjects: ["sneaky.>"] }));
  } finally {
    await workerNc.close();
  }
  const entry = await kv.get(CONFIG_KV_KEY);
  assert.equal(entry?.revision, rev, "the config is untouched");
});
