// The credvend command, as a person runs it: exit codes, output, and errors that say what to fix.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { devCredentials } from "@credvend/aws-local";
import { uniqueName } from "@credvend/testkit";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { credvend, ROOT } from "./support/cli.js";
import { demoConfig } from "./support/config.js";
import { REGION, startHarness, type Harness } from "./support/harness.js";

const EXAMPLE = path.join(ROOT, "services/cli/examples/credvend.yaml");
const dir = mkdtempSync(path.join(tmpdir(), "credvend-cli-"));
const BAD = path.join(dir, "bad.yaml");
writeFileSync(BAD, `templates:
  too-broad:
    kind: assume_role
    role_arn: arn:aws:iam::000000000000:role/credvend-demo
    duration: { default: 900, max: 3600 }
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: ["s3:*"]
          Resource: ["arn:aws:s3:::{{bucket}}"]
access: []
`);

describe("offline commands", () => {
  test("no command prints usage and exits 2; an unknown one says so", async () => {
    const none = await credvend([]);
    assert.equal(none.code, 2);
    assert.match(none.stdout, /usage: credvend <command>/);
    const unknown = await credvend(["frobnicate"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  });

  test("--help prints a command's usage", async () => {
    const r = await credvend(["request", "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--template T/);
  });

  test("templates lint accepts the example and names each problem of a bad file", async () => {
    const good = await credvend(["templates", "lint", EXAMPLE]);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /ok \(1 templates, 1 access rules\)/);
    const bad = await credvend(["templates", "lint", BAD]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /error: templates\.too-broad\.policy\.Statement\[0\]\.Action\[0\]: .*s3:\*/);
    assert.match(bad.stdout, /\{\{bucket\}\}/);
  });

  test("templates render prints the exact STS request, or the error a request would get", async () => {
    const ok = await credvend(["templates", "render", EXAMPLE, "--template", "s3-tenant-read", "--tenant", "acme", "--principal", "demo-app", "--param", "bucket=acme-data", "--request-id", "req-0000001"]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const plan = JSON.parse(ok.stdout) as Record<string, unknown>;
    assert.equal(JSON.stringify(plan).includes("arn:aws:s3:::acme-data/acme/*"), true);
    assert.equal(JSON.stringify(plan).includes("credvend-demo"), true);
    const denied = await credvend(["templates", "render", EXAMPLE, "--template", "s3-tenant-read", "--tenant", "acme", "--principal", "demo-app", "--param", "bucket=other-data"]);
    assert.equal(denied.code, 1);
    assert.equal((JSON.parse(denied.stdout) as { error: { code: string } }).error.code, "PERMISSION_DENIED");
  });

  test("templates render without required flags is a usage error", async () => {
    const r = await credvend(["templates", "render", EXAMPLE, "--template", "s3-tenant-read"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs FILE, --template, --tenant and --principal/);
  });

  test("nats-config prints a block scoping each identity to its subjects", async () => {
    const file = path.join(dir, "identities.yaml");
    writeFileSync(file, `${demoConfig({ tenants: ["acme"] })}identities:\n  - { tenant: acme, principal: demo-app, user: demo-app, password: "$DEMO_APP_NATS_PASSWORD" }\n`);
    const r = await credvend(["nats-config", file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /"credvend\.v1\.req\.acme\.demo-app"/);
    assert.match(r.stdout, /"credvend\.v1\.reply\.acme\.demo-app\.>"/);
    assert.match(r.stdout, /password: \$DEMO_APP_NATS_PASSWORD/);
  });

  test("iam trust-policy prints what the role must trust", async () => {
    const r = await credvend(["iam", "trust-policy", "--config", EXAMPLE, "--template", "s3-tenant-read", "--vendor-arn", "arn:aws:iam::111122223333:role/credvend-vendor"]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.stringify(JSON.parse(r.stdout));
    for (const action of ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]) assert.ok(doc.includes(action));
    const fromEnv = await credvend(["iam", "trust-policy", "--template", "s3-tenant-read", "--vendor-arn", "arn:aws:iam::111122223333:role/credvend-vendor"], { CREDVEND_CONFIG: EXAMPLE });
    assert.equal(fromEnv.stdout, r.stdout, "--config defaults to CREDVEND_CONFIG");
    const bad = await credvend(["iam", "trust-policy", "--config", EXAMPLE, "--template", "s3-tenant-read", "--vendor-arn", "not-an-arn"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not an IAM role, user or account root ARN/);
  });

  test("aws-local --print-env prints dev-only exports for a seed user, and refuses unknown users", async () => {
    const r = await credvend(["aws-local", "--print-env", "demo-app", "--port", "4599"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /DEV-ONLY/);
    assert.match(r.stdout, new RegExp(`AWS_ACCESS_KEY_ID='${devCredentials("demo-app").accessKeyId}'`));
    assert.match(r.stdout, /AWS_ENDPOINT_URL='http:\/\/127\.0\.0\.1:4599'/);
    const bad = await credvend(["aws-local", "--print-env", "nobody"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a dev-seed user/);
  });

  test("worker refuses bad settings, naming the variable and its value", async () => {
    const r = await credvend(["worker"], { REDIS_URL: "localhost:6379", CREDVEND_CONFIG: EXAMPLE });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /REDIS_URL="localhost:6379": must start with redis:\/\//);
  });

  test("worker refuses an invalid config file before connecting anywhere", async () => {
    const r = await credvend(["worker"], { CREDVEND_CONFIG: BAD, NATS_URL: "nats://127.0.0.1:1" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /config from .*bad\.yaml has 2 error/);
  });
});

describe("commands against a running stack", () => {
  let h: Harness;
  const tenant = uniqueName("cli");
  before(async () => {
    h = await startHarness({ config: demoConfig({ tenants: [tenant] }) });
  });
  after(async () => {
    await h?.stop();
  });
  const requesterEnv = () => ({
    NATS_URL: h.natsUrl,
    CREDVEND_TENANT: tenant,
    CREDVEND_PRINCIPAL: "demo-app",
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: h.awsLocal.endpoint,
    AWS_ACCESS_KEY_ID: devCredentials("demo-app").accessKeyId,
    AWS_SECRET_ACCESS_KEY: devCredentials("demo-app").secretAccessKey,
  });

  test("request prints credential_process JSON that works with STS", async () => {
    const r = await credvend(["request", "--template", "s3-tenant-read", "--param", "bucket=acme-data", "--duration", "900"], requesterEnv());
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { Version: number; AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string; Arn: string };
    assert.equal(out.Version, 1);
    assert.match(out.AccessKeyId, /^ASIA/);
    assert.ok(out.SecretAccessKey.length >= 40 && out.SessionToken.length > 100);
    assert.match(out.Arn, /assumed-role\/credvend-demo\//);
    assert.ok(Date.parse(out.Expiration) > Date.now());
  });

  test("request errors show the code, the reason and what to fix", async () => {
    const r = await credvend(["request", "--template", "nope"], requesterEnv());
    assert.equal(r.code, 1);
    assert.match(r.stderr, /NOT_FOUND \(CV_ERR_TEMPLATE_NOT_FOUND\)/);
    const missing = await credvend(["request", "--template", "s3-tenant-read"], { ...requesterEnv(), CREDVEND_TENANT: "" });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /set CREDVEND_TENANT and CREDVEND_PRINCIPAL/);
    const badParam = await credvend(["request", "--template", "s3-tenant-read", "--param", "bucket"], requesterEnv());
    assert.equal(badParam.code, 2);
    assert.match(badParam.stderr, /must be name=value/);
  });

  test("config push refuses an invalid file and writes nothing; a valid one becomes what config show prints", async () => {
    const bucket = uniqueName("cfg");
    const env = { NATS_URL: h.natsUrl };
    const refused = await credvend(["config", "push", BAD, "--bucket", bucket], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /refused, nothing was written/);
    const empty = await credvend(["config", "show", "--bucket", bucket], env);
    assert.equal(empty.code, 1);
    assert.match(empty.stdout, /is empty; push a config/);
    const pushed = await credvend(["config", "push", EXAMPLE, "--bucket", bucket], env);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stdout, /revision 1/);
    const shown = await credvend(["config", "show", "--bucket", bucket], env);
    assert.equal(shown.code, 0);
    assert.match(shown.stdout, /revision 1/);
    assert.match(shown.stdout, /s3-tenant-read:/);
  });
});
