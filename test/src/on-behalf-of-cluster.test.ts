// on_behalf_of on a Redis Cluster: the effective tenant's buckets live in its own slot, so they
// can not share the script that charges the caller's buckets and claims the request id (in the
// caller's slot). They are checked first, in their own round trip; the claim comes last. A
// refusal there consumes nothing of the caller's, and the caller's own bucket still caps how much
// it can draw across every tenant it acts for.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startRedisCluster, uniqueName, type RedisClusterHandle } from "@credvend/testkit";
import { startHarness, type Harness } from "./support/harness.js";
import { reason } from "./support/outcome.js";
import { platformForCustomersRule, TENANT_DATA_TEMPLATE } from "./support/config.js";

const platform = uniqueName("obc-plat");
const customers = [1, 2, 3, 4].map((i) => uniqueName(`obc-c${i}`));
const BURST = 3;

const config = `templates:
${TENANT_DATA_TEMPLATE}access:
${platformForCustomersRule(platform, customers)}rate_limits:
  # One request every 100 s after the burst: nothing refills during the test.
  per_principal: { per_second: 0.01, burst: ${BURST} }
  per_template:
    tenant-data: { per_second: 0.01, burst: 1 }
`;

let cluster: RedisClusterHandle;
let h: Harness;
before(async () => {
  cluster = await startRedisCluster();
  h = await startHarness({ config, redisUrl: cluster.url });
});
after(async () => {
  await h?.stop();
  await cluster?.stop();
});

test("on_behalf_of on a Redis Cluster: served across slots; a customer's limit refuses without charging the caller; the caller's bucket caps the rest", async () => {
  const client = h.client(platform, "demo-app", { attempts: 1 });
  const ask = (customer: string) => reason(client.request({ template: "tenant-data", params: { customer }, onBehalfOf: customer }));
  const [c1, c2, c3, c4] = customers as [string, string, string, string];
  assert.equal(await ask(c1), "served");
  assert.equal(await ask(c1), "CV_ERR_RATE_LIMITED", "the customer's template bucket (its own slot) is spent");
  // Had that refusal cost the caller a token, the second of these would be refused.
  assert.equal(await ask(c2), "served");
  assert.equal(await ask(c3), "served");
  assert.equal(await ask(c4), "CV_ERR_RATE_LIMITED", "the caller's own bucket is spent, whichever tenant it acts for");
});
