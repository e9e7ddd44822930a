// The multi-tenant backend example (examples/multi-tenant-backend), run as its own process against
// real NATS, Redis, a worker and aws-local: one provider per customer tenant, each customer's
// credentials its own, refreshed only when due, and a tenant the platform may not act for refused.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { devCredentials } from "@credvend/aws-local";
import { uniqueName } from "@credvend/testkit";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { demoConfig } from "./support/config.js";
import { REGION, REPLY_KEY_ARN, startHarness, type Harness } from "./support/harness.js";

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../examples/multi-tenant-backend/dist/main.js");
const platform = uniqueName("platform");
const customers = [uniqueName("cust-a"), uniqueName("cust-b")];
// The platform's backend (demo-app) may act for cust-* tenants, for their own prefix of the bucket.
const extraAccess = `  - name: platform-for-customers
    tenants: ["${platform}"]
    principals: ["demo-app"]
    templates: ["s3-tenant-read"]
    on_behalf_of: ["cust-*"]
    params: { bucket: ["acme-data"] }
`;
let h: Harness;
let backend: ChildProcess;
let base: string;

before(async () => {
  h = await startHarness({ config: demoConfig({ tenants: [platform, ...customers], extraAccess }) });
  const keys = devCredentials("demo-app");
  backend = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      NATS_URL: h.natsUrl,
      CREDVEND_TENANT: platform,
      CREDVEND_PRINCIPAL: "demo-app",
      CREDVEND_REPLY_KEY_ARN: REPLY_KEY_ARN,
      CREDVEND_TEMPLATE: "s3-tenant-read",
      CREDVEND_PARAMS: "bucket=acme-data",
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      AWS_ENDPOINT_URL_KMS: h.awsLocal.endpoint,
      AWS_ENDPOINT_URL_STS: h.awsLocal.endpoint,
      PORT: "0",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: backend.stdout ?? assert.fail("no stdout") });
  const [first] = (await once(lines, "line")) as [string];
  base = `http://127.0.0.1:${(JSON.parse(first) as { listening: number }).listening}`;
});
after(async () => {
  if (backend && backend.exitCode === null) {
    backend.kill("SIGTERM");
    await once(backend, "exit");
  }
  await h?.stop();
});

const assumeRoleCalls = async () => (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;

async function identity(tenant: string): Promise<{ status: number; body: { arn?: string; reason?: string } }> {
  const res = await fetch(`${base}/tenants/${encodeURIComponent(tenant)}/identity`);
  return { status: res.status, body: (await res.json()) as { arn?: string; reason?: string } };
}

test("each customer gets credentials of its own, and repeated calls reuse them", async () => {
  const before = await assumeRoleCalls();
  const [a, b] = await Promise.all(customers.map(identity));
  assert.equal(a?.status, 200);
  assert.equal(b?.status, 200);
  assert.match(a?.body.arn ?? "", /assumed-role\/credvend-demo\//);
  assert.notEqual(a?.body.arn, b?.body.arn, "two customers, two sessions");
  assert.equal(await assumeRoleCalls(), before + 2);

  for (let i = 0; i < 5; i += 1) await Promise.all(customers.map(identity));
  assert.equal(await assumeRoleCalls(), before + 2, "cached per tenant: no further AssumeRole");
  const again = await Promise.all(customers.map(identity));
  assert.deepEqual(again.map((r) => r.body.arn), [a?.body.arn, b?.body.arn], "each tenant keeps its own session");
});

test("a tenant the platform may not act for is refused with credvend's reason; a malformed name never leaves the process", async () => {
  const before = await assumeRoleCalls();
  const other = await identity(uniqueName("other"));
  assert.equal(other.status, 403);
  assert.equal(other.body.reason, "CV_ERR_ON_BEHALF_OF_DENIED");
  const bad = await identity("Not A Tenant");
  assert.equal(bad.status, 400);
  assert.equal(await assumeRoleCalls(), before);
});
