// No secret ever reaches the vendor's logs or an error: not the vended keys, not the MFA code,
// not the data key. Logs are captured at trace level across successes and failures.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { uniqueName } from "@credvend/testkit";
import { demoConfig } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";
import { sendRaw } from "./support/raw.js";

const tenant = uniqueName("sec");
const logLines: string[] = [];
let h: Harness;

before(async () => {
  h = await startHarness({ config: demoConfig({ tenants: [tenant] }), logLines, env: { CREDVEND_LOG_LEVEL: "trace" } });
});
after(async () => {
  await h?.stop();
});

test("vended secrets and MFA codes never appear in logs or errors", async () => {
  const client = h.client(tenant, "demo-app");
  const secrets: string[] = [];
  for (let i = 0; i < 3; i += 1) {
    const creds = await client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
    secrets.push(creds.secretAccessKey, creds.sessionToken);
  }
  const mfaCode = "918273";
  let refusal: unknown;
  try {
    await client.request({ template: "untrusted-role", params: {}, mfa: { serialNumber: "arn:aws:iam::000000000000:mfa/credvend-vendor", tokenCode: mfaCode } });
  } catch (error) {
    refusal = error;
  }
  assert.ok(refusal instanceof CredvendError);
  assert.doesNotMatch(refusal.message, new RegExp(mfaCode));
  await sendRaw(h.nc, tenant, "demo-app", Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));

  await new Promise((r) => setTimeout(r, 100)); // pino writes asynchronously
  const log = logLines.join("");
  assert.ok(logLines.length >= 5, "the vendor logged the requests");
  assert.match(log, /"outcome":"issued"/);
  for (const secret of [...secrets, mfaCode]) assert.equal(log.includes(secret), false, "a secret reached the log");
  assert.equal(log.includes("dev-only/"), false, "the vendor's own secret key reached the log");
});
