// hashSecrets: nats-server gets bcrypt hashes, never a password and never a `$VAR` it could
// resolve to empty. (test/src/nats-secrets.test.ts starts a real nats-server from this output.)
import { test } from "node:test";
import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { parseConfig } from "./config.js";
import { MIN_NATS_PASSWORD_LENGTH, natsAuthorization } from "./nats-auth.js";

const parsed = parseConfig(`templates:
  t: { kind: assume_role, role_arn: "arn:aws:iam::123456789012:role/r", policy_arns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] }
access: [{ tenants: ["acme"], principals: ["app"], templates: ["t"] }]
identities:
  - { tenant: acme, principal: app, password: $ACME_APP_NATS_PASSWORD }
`);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
const config = parsed.config;
const APP = "app-secret-0123456789";
const VENDOR = "vendor-secret-0123456789";
const hashSecrets = { env: { ACME_APP_NATS_PASSWORD: APP, CREDVEND_VENDOR_NATS_PASSWORD: VENDOR }, cost: 4 };

const passwords = (block: string): string[] => [...block.matchAll(/password: "([^"]+)"/g)].map((m) => m[1] ?? "");

test("every password is written as a bcrypt hash of the resolved secret; no secret, no $VAR is left", () => {
  const block = natsAuthorization(config, { hashSecrets });
  assert.ok(!block.includes(APP) && !block.includes(VENDOR), block);
  assert.doesNotMatch(block, /password: \$/);
  const [app, vendor] = passwords(block);
  assert.ok(app && vendor, block);
  assert.ok(bcrypt.compareSync(APP, app), "the identity's hash verifies its secret");
  assert.ok(bcrypt.compareSync(VENDOR, vendor), "the worker's hash verifies its secret");
  assert.ok(!bcrypt.compareSync("", app), "an empty password does not match");
});

test("literal passwords (the dev stack's generated ones) are hashed too; an existing bcrypt hash is kept", () => {
  const preHashed = bcrypt.hashSync(VENDOR, 4);
  const block = natsAuthorization(config, { vendor: { user: "v", password: preHashed }, identities: [{ tenant: "b", principal: "job", password: "literal-secret-0123456789" }], hashSecrets });
  assert.ok(!block.includes("literal-secret-0123456789"));
  assert.ok(passwords(block).includes(preHashed));
});

test("an unset, empty, short or over-long secret is refused, naming the variable and never the value", () => {
  const cases: [Record<string, string | undefined>, RegExp][] = [
    [{ CREDVEND_VENDOR_NATS_PASSWORD: VENDOR }, /identity 0 \(acme\/app\): \$ACME_APP_NATS_PASSWORD is unset; set it to a random secret of at least 16 characters/],
    [{ ACME_APP_NATS_PASSWORD: "", CREDVEND_VENDOR_NATS_PASSWORD: VENDOR }, /\$ACME_APP_NATS_PASSWORD is empty/],
    [{ ACME_APP_NATS_PASSWORD: "short-pw-9", CREDVEND_VENDOR_NATS_PASSWORD: VENDOR }, /\$ACME_APP_NATS_PASSWORD has 10 characters; use a random secret of at least 16/],
    [{ ACME_APP_NATS_PASSWORD: APP }, /vendor: \$CREDVEND_VENDOR_NATS_PASSWORD is unset/],
    [{ ACME_APP_NATS_PASSWORD: "x".repeat(73), CREDVEND_VENDOR_NATS_PASSWORD: VENDOR }, /longer than 72 bytes/],
  ];
  for (const [env, expected] of cases) {
    assert.throws(() => natsAuthorization(config, { hashSecrets: { env, cost: 4 } }), (e: unknown) => {
      assert.ok(e instanceof RangeError);
      assert.match(e.message, expected);
      assert.doesNotMatch(e.message, /short-pw-9|xxxxxxxx/);
      return true;
    });
  }
  assert.equal(MIN_NATS_PASSWORD_LENGTH, 16);
  assert.throws(() => natsAuthorization(config, { vendor: { user: "v", password: "tiny" }, hashSecrets }), /the password has 4 characters/);
});

test("an operator user gets service discovery, revocation notices and its inbox only; its name may not be another user's", () => {
  const OPERATOR = "operator-secret-0123456789";
  const block = natsAuthorization(config, { operator: { user: "ops", password: "$OPS_PW" }, hashSecrets: { ...hashSecrets, env: { ...hashSecrets.env, OPS_PW: OPERATOR } } });
  const line = block.split("\n").find((l) => l.includes('user: "ops"'));
  assert.ok(line, block);
  assert.match(line, /permissions: \{ publish: \{ allow: \["\$SRV\.>", "credvend\.v1\.admin\.revoked"\] \}, subscribe: \{ allow: \["_INBOX\.>"\] \} \}/);
  assert.ok(bcrypt.compareSync(OPERATOR, passwords(line)[0] ?? ""));
  assert.ok(!block.includes(OPERATOR));
  for (const taken of ["credvend-vendor", "acme.app"]) {
    assert.throws(() => natsAuthorization(config, { operator: { user: taken, password: "$OPS_PW" }, hashSecrets: { ...hashSecrets, env: { ...hashSecrets.env, OPS_PW: OPERATOR } } }), /listed twice/, taken);
  }
  assert.ok(!natsAuthorization(config, { hashSecrets }).includes("credvend.v1.admin.revoked\"] }, subscribe: { allow: [\"_INBOX.>\"] } }"), "no operator unless asked for");
});

test("an auditor user may only read the audit stream: its consumers and own inbox, nothing else; its name may not be another user's", () => {
  const AUDITOR = "auditor-secret-0123456789";
  const env = { ...hashSecrets.env, AUD_PW: AUDITOR, OPS_PW: "operator-secret-0123456789" };
  const block = natsAuthorization(config, { auditor: { user: "aud", password: "$AUD_PW" }, hashSecrets: { ...hashSecrets, env } });
  const line = block.split("\n").find((l) => l.includes('user: "aud"'));
  assert.ok(line, block);
  assert.match(line, /permissions: \{ publish: \{ allow: \["\$JS\.API\.STREAM\.INFO\.CREDVEND_AUDIT", "\$JS\.API\.CONSUMER\.CREATE\.CREDVEND_AUDIT", "\$JS\.API\.CONSUMER\.INFO\.CREDVEND_AUDIT\.\*", "\$JS\.API\.CONSUMER\.DELETE\.CREDVEND_AUDIT\.\*", "\$JS\.FC\.CREDVEND_AUDIT\.>"\] \}, subscribe: \{ allow: \["_INBOX\.credvend-audit\.>"\] \} \}/);
  assert.ok(bcrypt.compareSync(AUDITOR, passwords(line)[0] ?? ""));
  assert.ok(!block.includes(AUDITOR));
  for (const taken of ["credvend-vendor", "acme.app"]) {
    assert.throws(() => natsAuthorization(config, { auditor: { user: taken, password: "$AUD_PW" }, hashSecrets: { ...hashSecrets, env } }), /auditor: user .* listed twice/, taken);
  }
  assert.throws(() => natsAuthorization(config, { operator: { user: "same", password: "$OPS_PW" }, auditor: { user: "same", password: "$AUD_PW" }, hashSecrets: { ...hashSecrets, env } }), /auditor: user "same" is listed twice/);
  assert.ok(!natsAuthorization(config, { hashSecrets }).includes("CREDVEND_AUDIT.*"), "no auditor unless asked for");
});
