// Rate limits can not be dodged: a request is charged before anything can refuse it (so a flood of
// refused junk is throttled like any other), and a principal acting on_behalf_of other tenants
// always draws from its own bucket too (rotating tenants does not buy a fresh budget each time).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { uniqueName } from "@credvend/testkit";
import { startHarness, type Harness } from "./support/harness.js";
import { reason } from "./support/outcome.js";
import { platformForCustomersRule, TENANT_DATA_TEMPLATE } from "./support/config.js";

const home = uniqueName("ro");
const platform = uniqueName("ro-plat");
const customers = [1, 2, 3, 4, 5].map((i) => uniqueName(`ro-c${i}`));
const BURST = 3;

const config = `templates:
${TENANT_DATA_TEMPLATE}access:
  - name: own-data
    tenants: ${JSON.stringify([home])}
    principals: ["demo-app"]
    templates: ["tenant-data"]
    params: { customer: "{{tenant}}" }
${platformForCustomersRule(platform, customers)}rate_limits:
  # One request every 100 s after the burst: nothing refills during the test.
  per_principal: { per_second: 0.01, burst: ${BURST} }
`;

let h: Harness;
before(async () => {
  h = await startHarness({ config });
});
after(async () => {
  await h?.stop();
});


test("refused requests are charged: after a burst of junk, a valid request is rate-limited", async () => {
  const client = h.client(home, "demo-app", { attempts: 1 });
  for (let i = 0; i < BURST; i += 1) {
    // A caller no rule entitles to that name gets NOT_ENTITLED (no template enumeration).
    assert.equal(await reason(client.request({ template: "no-such-template", params: {} })), "CV_ERR_NOT_ENTITLED");
  }
  assert.equal(await reason(client.request({ template: "tenant-data", params: { customer: home } })), "CV_ERR_RATE_LIMITED");
});

test("on_behalf_of across many tenants still draws from the caller's own bucket", async () => {
  const client = h.client(platform, "demo-app", { attempts: 1 });
  const outcomes: string[] = [];
  for (const customer of customers) {
    outcomes.push(await reason(client.request({ template: "tenant-data", params: { customer }, onBehalfOf: customer })));
  }
  assert.deepEqual(outcomes, [...Array<string>(BURST).fill("served"), ...Array<string>(customers.length - BURST).fill("CV_ERR_RATE_LIMITED")]);
});
