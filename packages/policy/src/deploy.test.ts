import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { natsAuthorization } from "./nats-auth.js";
import { trustPolicyFor } from "./trust.js";
import { DEMO, okConfig } from "./test-fixtures.js";

const config = okConfig(DEMO.replace("rate_limits:", `identities:
  - { tenant: acme, principal: demo-app, password: $ACME_DEMO_PASSWORD }
  - { tenant: acme, principal: batch-1, nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4 }
rate_limits:`));

test("nats: each identity gets exactly its own subjects; the vendor its own", () => {
  const text = natsAuthorization(config, { vendor: { user: "vendor", password: "gen-pass-1" }, identities: [{ tenant: "beta", principal: "job", user: "beta-job", password: "p@ss w0rd" }] });
  assert.match(text, /\{ user: "acme\.demo-app", password: \$ACME_DEMO_PASSWORD, permissions: \{ publish: \{ allow: \["credvend\.v1\.req\.acme\.demo-app"\] \}, subscribe: \{ allow: \["credvend\.v1\.reply\.acme\.demo-app\.>"\] \} \} \}/);
  assert.match(text, /\{ nkey: "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4", permissions: \{ publish: \{ allow: \["credvend\.v1\.req\.acme\.batch-1"\] \}/);
  assert.match(text, /user: "beta-job", password: "p@ss w0rd"/);
  assert.match(text, /"credvend\.v1\.req\.\*\.\* credvend-vendor", "\$SRV\.>", "_INBOX\.>"/);
  for (const s of ["credvend.v1.reply.>", "$JS.API.STREAM.INFO.KV_credvend-config", "$JS.API.CONSUMER.CREATE.KV_credvend-config.>", "credvend.v1.audit.>"]) assert.ok(text.includes(`"${s}"`), s);
  // The worker reads the config bucket; it may neither write it nor reach the rest of JetStream.
  for (const s of ["$JS.API.>", "$KV.credvend-config.>"]) assert.ok(!text.includes(`"${s}"`), s);
});

test("nats: values that could break out of a string are refused", () => {
  for (const password of ['a"b', "a\\b", "a\nb", "é"]) {
    assert.throws(() => natsAuthorization(config, { identities: [{ tenant: "x", principal: "y", password }] }), RangeError);
  }
  assert.throws(() => natsAuthorization(config, { identities: [{ tenant: "acme", principal: "demo-app" }] }), /listed twice/);
  assert.throws(() => natsAuthorization(config, { identities: [{ tenant: "a.b", principal: "y" }] }), RangeError);
});

test("nats: nats-server accepts the generated block", { skip: spawnSync("nats-server", ["--version"]).status !== 0 && "nats-server not installed" }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), "credvend-nats-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "auth.conf");
  writeFileSync(file, `port: -1\n${natsAuthorization(config, { vendor: { user: "vendor", password: "v" } })}`);
  const r = spawnSync("nats-server", ["-t", "-c", file], { env: { ...process.env, ACME_DEMO_PASSWORD: "x" }, encoding: "utf8" });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

test("trust: the role trusts the vendor with tagging, source identity and external id", () => {
  const c = okConfig(`
templates:
  t:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/r
    external_id: fixed-ext-id
    mfa: { required: true }
    policy_arns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
  per-tenant: { kind: assume_role, role_arn: "arn:aws:iam::123456789012:role/r", external_id: "{{tenant}}-ext", source_identity: false, policy_arns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] }
  st: { kind: session_token, credential_source: { profile: p } }
access: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]
`);
  const vendorPrincipalArn = "arn:aws:iam::111122223333:role/credvend-vendor";
  assert.deepEqual(trustPolicyFor(c, "t", { vendorPrincipalArn }), {
    Version: "2012-10-17",
    Statement: [{
      Sid: "CredvendVendorAssumesRole", Effect: "Allow", Principal: { AWS: vendorPrincipalArn },
      Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
      Condition: { StringEquals: { "sts:ExternalId": "fixed-ext-id" }, Bool: { "aws:MultiFactorAuthPresent": "true" } },
    }],
  });
  const per = trustPolicyFor(c, "per-tenant", { vendorPrincipalArn }) as { Statement: { Action: string[]; Condition: unknown }[] };
  assert.deepEqual(per.Statement[0]?.Action, ["sts:AssumeRole", "sts:TagSession"]);
  assert.deepEqual(per.Statement[0]?.Condition, { StringLike: { "sts:ExternalId": "*-ext" } });
  assert.throws(() => trustPolicyFor(c, "st", { vendorPrincipalArn }), /session_token/);
  assert.throws(() => trustPolicyFor(c, "t", { vendorPrincipalArn: "*" }), RangeError);
  assert.throws(() => trustPolicyFor(c, "nope", { vendorPrincipalArn }), RangeError);
});
