// The denied cache is shared fairly by tenant: while tenant A floods the worker with more distinct
// requests STS denies than the cache holds (10,000), tenant B's remembered refusal stays, so B's
// retries still cost no AssumeRole (counted at aws-local). Under plain LRU, A's flood evicted it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { uniqueName } from "@credvend/testkit";
import { demoConfig, s3ReadTemplate } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";
import { sendRequest } from "./support/raw.js";

/** The worker's denied cache bound (worker.ts), plus enough to overflow it. */
const FLOOD = 10_000 + 200;
const BATCH = 200;
const flooder = uniqueName("fairflood");
const quiet = uniqueName("fairquiet");
let h: Harness;
const assumeRole = async () => (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;

// A template STS refuses (the role does not trust the vendor) with a free-form parameter: each
// bucket is another STS call, so another denied-cache entry.
const DENIED_TEMPLATE = s3ReadTemplate("untrusted-bucket", "", "arn:aws:iam::000000000000:role/credvend-demo-external");
const DENIED_ACCESS = `  - tenants: ["${flooder}", "${quiet}"]
    principals: ["demo-app"]
    templates: ["untrusted-bucket"]
`;

before(async () => {
  const config = demoConfig({ tenants: [flooder, quiet], perPrincipal: { perSecond: 100_000, burst: 100_000 }, extraTemplates: DENIED_TEMPLATE, extraAccess: DENIED_ACCESS });
  h = await startHarness({ config, env: { CREDVEND_DENIED_CACHE_MS: "300000", CREDVEND_PRINCIPAL_MAX_QUEUED: "1024" } });
});
after(async () => {
  await h?.stop();
});

const deny = async (tenant: string, bucket: string) => {
  const reply = await sendRequest(h.nc, tenant, "demo-app", { template: "untrusted-bucket", params: { bucket } });
  assert.ok(reply.kind === "error" && reply.error.reason === "CV_ERR_STS_ACCESS_DENIED", JSON.stringify(reply));
};

test("tenant A flooding distinct denied requests does not cost tenant B its remembered refusal", async (t) => {
  await deny(quiet, "quiet-bucket");
  const afterFirst = await assumeRole();
  await deny(quiet, "quiet-bucket");
  assert.equal(await assumeRole(), afterFirst, "B's retry is answered from the denied cache");
  const started = Date.now();
  for (let i = 0; i < FLOOD; i += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, FLOOD - i) }, (_, j) => deny(flooder, `flood-${i + j}`)));
  }
  const flooded = await assumeRole() - afterFirst;
  assert.equal(flooded, FLOOD, "each of A's distinct requests reached STS once");
  await deny(quiet, "quiet-bucket");
  assert.equal(await assumeRole() - afterFirst, FLOOD, "B's retry after A's flood still costs no AssumeRole");
  t.diagnostic(`A: ${FLOOD} distinct denied requests (${flooded} AssumeRole) in ${Date.now() - started} ms; B: 1 AssumeRole for 3 tries`);
});
