import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { DEV_SEED, devCredentials, devEnvExports } from "./dev-seed.js";
import { loadSeedFile, SeedError, validateSeed } from "./seed/load.js";
import { base32Decode, totp, verifyTotp } from "./totp.js";
import { startQuiet, stsClient } from "./testing/harness.js";

const YAML_SEED = `
account_id: "123456789012"
users:
  - name: alice
    access_keys:
      - access_key_id: AKIAALICEALICEALICE1
        secret_access_key: test-only-alice-secret-key-000000000000
    tags: { team: blue }
    policies:
      - name: assume
        document: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}'
roles:
  - name: app
    path: /apps/
    max_session_duration: 7200
    trust_policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal: { AWS: "arn:aws:iam::123456789012:user/alice" }
          Action: sts:AssumeRole
kms_keys:
  - id: 11111111-2222-4333-8444-555555555555
    aliases: [alias/app]
`;

describe("seed files", () => {
  it("loads a YAML seed and serves it", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "aws-local-seed-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, "seed.yaml");
    writeFileSync(path, YAML_SEED);
    const seed = loadSeedFile(path);
    assert.equal(seed.roles[0]?.max_session_duration, 7200);
    const local = await startQuiet({ seed: path });
    try {
      assert.equal(local.accountId, "123456789012");
      const me = await stsClient(local, { accessKeyId: "AKIAALICEALICEALICE1", secretAccessKey: "test-only-alice-secret-key-000000000000" }).send(
        new GetCallerIdentityCommand({}),
      );
      assert.equal(me.Arn, "arn:aws:iam::123456789012:user/alice");
    } finally {
      await local.stop();
    }
  });

  it("validation errors name the path and the bad value (never a secret)", () => {
    const bad = {
      account_id: "12345",
      users: [{ name: "bob", access_keys: [{ access_key_id: "ASIAXXXX", secret_access_key: "short" }] }],
      roles: [{ name: "r", trust_policy: { Statement: [{ Effect: "Maybe", Action: "x" }] }, max_session_duration: 60 }],
    };
    assert.throws(
      () => validateSeed(bad, "test seed"),
      (err: unknown) => {
        assert.ok(err instanceof SeedError);
        assert.match(err.message, /account_id: must be 12 digits \(got "12345"\)/);
        assert.match(err.message, /users\.0\.access_keys\.0\.access_key_id: must be AKIA.*\(got "ASIAXXXX"\)/);
        assert.match(err.message, /users\.0\.access_keys\.0\.secret_access_key/);
        assert.ok(!err.message.includes('"short"'), "secrets are not echoed");
        assert.match(err.message, /roles\.0\.trust_policy: Statement\[0\]: Effect must be "Allow" or "Deny"; Statement\[0\]: give exactly one of Principal/);
        assert.match(err.message, /roles\.0\.max_session_duration.*\(got 60\)/);
        return true;
      },
    );
    assert.throws(() => validateSeed({ account_id: "123456789012", userz: [] }), /userz/);
    const trust = { Statement: [{ Effect: "Allow", Principal: { AWS: "123456789012" }, Action: "sts:AssumeRole" }] };
    assert.throws(
      () => validateSeed({ account_id: "123456789012", roles: [{ name: "a", trust_policy: trust }, { name: "A", trust_policy: trust }] }),
      /roles\.1\.name "A": duplicates roles\.0\.name "a"/,
    );
    const managed = { arn: "arn:aws:iam::aws:policy/ReadOnly", document: { Statement: { Effect: "Allow", Action: "s3:Get*", Resource: "*" } } };
    assert.throws(
      () => validateSeed({ account_id: "123456789012", managed_policies: [managed], accounts: [{ account_id: "222222222222", managed_policies: [managed] }] }),
      /accounts\.0\.managed_policies\.0\.arn "arn:aws:iam::aws:policy\/ReadOnly": duplicates managed_policies\.0\.arn/,
    );
    assert.throws(
      () =>
        validateSeed({
          account_id: "123456789012",
          users: [{ name: "u", policies: [{ name: "p", document: { Statement: { Effect: "Allow", Action: "s3:*", Resource: "*", Condition: { StringEqual: { "aws:username": "u" } } } } }] }],
        }),
      /unknown condition operator "StringEqual"/,
    );
  });

  it("the dev seed has the documented identities and DEV-ONLY keys", () => {
    assert.equal(DEV_SEED.account_id, "000000000000");
    assert.deepEqual(DEV_SEED.users.map((u) => u.name), ["credvend-vendor", "demo-app", "other-app", "acme-app", "credvend-operator"]);
    assert.ok(["credvend-demo", "credvend-demo-mfa", "credvend-demo-external"].every((r) => DEV_SEED.roles.some((x) => x.name === r)));
    assert.equal(DEV_SEED.roles.find((r) => r.name === "credvend-demo")?.max_session_duration, 43200);
    for (const name of ["credvend-vendor", "demo-app", "other-app", "acme-app", "credvend-operator"]) {
      const c = devCredentials(name);
      assert.match(c.accessKeyId, /^AKIA[A-Z0-9]{16}$/);
      assert.match(c.secretAccessKey, /dev-only/);
    }
    assert.throws(() => devCredentials("root"), /not a dev-seed user; choose one of: credvend-vendor, demo-app, other-app, acme-app, credvend-operator/);
    const env = devEnvExports("demo-app", "http://127.0.0.1:4566", "eu-west-1");
    assert.match(env, /^export AWS_ACCESS_KEY_ID='AKIADEVONLYDEMOAPP01'$/m);
    assert.match(env, /^export AWS_SECRET_ACCESS_KEY='dev-only\/demo-app\/[^']+'$/m);
    assert.match(env, /^export AWS_REGION='eu-west-1'$/m);
    assert.match(env, /^export AWS_ENDPOINT_URL='http:\/\/127.0.0.1:4566'$/m);
  });
});

describe("TOTP (RFC 6238)", () => {
  // RFC 6238 appendix B, SHA-1 seed "12345678901234567890", truncated to 6 digits.
  const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
  it("matches the RFC test vectors", () => {
    assert.equal(base32Decode(RFC_SECRET).toString(), "12345678901234567890");
    assert.equal(totp(RFC_SECRET, 59_000), "287082");
    assert.equal(totp(RFC_SECRET, 1111111109_000), "081804");
    assert.equal(totp(RFC_SECRET, 1234567890_000), "005924");
    assert.equal(totp(RFC_SECRET, 2000000000_000), "279037");
  });
  it("accepts one step of drift either side, not two", () => {
    const t = 1234567890_000;
    assert.ok(verifyTotp(RFC_SECRET, totp(RFC_SECRET, t - 30_000), t));
    assert.ok(verifyTotp(RFC_SECRET, totp(RFC_SECRET, t + 30_000), t));
    assert.ok(!verifyTotp(RFC_SECRET, totp(RFC_SECRET, t - 60_000), t));
    assert.ok(!verifyTotp(RFC_SECRET, "12345", t));
  });
});
