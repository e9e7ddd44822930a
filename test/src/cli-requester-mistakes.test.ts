// The requester commands as careless and hostile users meet them, against a real stack: settings
// with invalid names or URLs, a TLS NATS without its CA, a repeated --param, a negative number,
// exec's own failures versus its command's, a default AWS profile that would win over exec's
// endpoint, and a cache entry swapped for another. Each must end in one line that names what to
// fix, with a distinct exit status, and never print a password from a URL.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { devCredentials } from "@credvend/aws-local";
import { startNatsServer, type NatsServerHandle } from "@credvend/launcher";
import { uniqueName } from "@credvend/testkit";
import { credvend } from "./support/cli.js";
import { demoConfig } from "./support/config.js";
import { kmsRequesterEnv, startHarness, type Harness } from "./support/harness.js";

const TEMPLATE = ["--template", "s3-tenant-read", "--param", "bucket=acme-data"];
const URL_SECRET = "hunter2-in-the-url";

/** One line on stderr, no stack trace, no "unexpected failure", no password from a URL. */
function assertOneLine(stderr: string, mentions: RegExp): void {
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, stderr);
  assert.match(stderr, mentions);
  assert.doesNotMatch(stderr, /unexpected failure|will retry|\n\s+at /);
  assert.equal(stderr.includes(URL_SECRET), false, stderr);
}

describe("requester commands refuse mistakes with one line that says what to fix", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-mistakes-"));
  const home = path.join(dir, "home");
  const tenant = uniqueName("mistakes");
  let h: Harness;
  let tlsNats: NatsServerHandle;

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...kmsRequesterEnv(h, tenant, path.join(dir, "cache")),
    HOME: home,
    NODE_EXTRA_CA_CERTS: "",
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, ".aws/credentials"),
    AWS_CONFIG_FILE: path.join(home, ".aws/config"),
    ...extra,
  });

  before(async () => {
    mkdirSync(path.join(home, ".aws"), { recursive: true });
    h = await startHarness({ config: demoConfig({ tenants: [tenant] }) });
    tlsNats = await startNatsServer({ tls: true, jetstream: false });
  });
  after(async () => {
    await tlsNats?.stop();
    await h?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a tenant or principal that is no valid name is a usage error naming the variable, before any connection", async () => {
    for (const [name, value] of [["CREDVEND_PRINCIPAL", "demo-app.>"], ["CREDVEND_PRINCIPAL", "*"], ["CREDVEND_TENANT", "Acme Corp"]] as const) {
      for (const command of ["request", "credential-process"]) {
        // A NATS_URL nothing listens on: reaching NATS would be a different failure.
        const r = await credvend([command, ...TEMPLATE], env({ [name]: value, NATS_URL: "nats://127.0.0.1:1" }));
        assert.equal(r.code, 2, `${command} ${name}=${value}: ${r.stderr}`);
        assertOneLine(r.stderr, new RegExp(name));
      }
    }
  });

  test("a NATS_URL that is not a URL names NATS_URL and never shows its password", async () => {
    const r = await credvend(["request", ...TEMPLATE], env({ NATS_URL: `nats://app:${URL_SECRET}@bad host:4222` }));
    assert.equal(r.code, 1, r.stderr);
    assertOneLine(r.stderr, /NATS_URL/);
  });

  test("a TLS NATS whose CA is not trusted names NODE_EXTRA_CA_CERTS", async () => {
    const url = tlsNats.url.replace("nats://", `nats://app:${URL_SECRET}@`);
    const r = await credvend(["request", ...TEMPLATE], env({ NATS_URL: url }));
    assert.equal(r.code, 1, r.stderr);
    assertOneLine(r.stderr, /NODE_EXTRA_CA_CERTS/);
  });

  test("a repeated --param and a negative number are usage errors on one line", async () => {
    const twice = await credvend(["request", ...TEMPLATE, "--param", "bucket=other-data"], env());
    assert.equal(twice.code, 2, twice.stderr);
    assertOneLine(twice.stderr, /--param bucket/);
    for (const command of ["request", "env"]) {
      const negative = await credvend([command, ...TEMPLATE, "--duration", "-5"], env());
      assert.equal(negative.code, 2, negative.stderr);
      assertOneLine(negative.stderr, /--duration/);
    }
  });

  test("exec's own failure is one line; a command not found is 127, not executable 126, like env(1)", async () => {
    const refused = await credvend(["exec", "--template", "no-such-template", "--", "true"], env());
    assert.equal(refused.code, 1, refused.stderr);
    assertOneLine(refused.stderr, /CV_ERR_NOT_ENTITLED/);
    const missing = await credvend(["exec", ...TEMPLATE, "--", "no-such-command-here"], env());
    assert.equal(missing.code, 127, missing.stderr);
    assertOneLine(missing.stderr, /no-such-command-here: command not found/);
    const notExecutable = path.join(dir, "not-executable.sh");
    writeFileSync(notExecutable, "#!/bin/sh\nexit 0\n", { mode: 0o644 });
    const denied = await credvend(["exec", ...TEMPLATE, "--", notExecutable], env());
    assert.equal(denied.code, 126, denied.stderr);
    assertOneLine(denied.stderr, /not-executable\.sh/);
  });

  test("exec refuses a default AWS profile with credentials, which every SDK would use instead of its endpoint", async () => {
    const credentialsFile = path.join(home, ".aws/credentials");
    writeFileSync(credentialsFile, `[default]\naws_access_key_id = ${devCredentials("demo-app").accessKeyId}\naws_secret_access_key = ${devCredentials("demo-app").secretAccessKey}\n`);
    try {
      const marker = path.join(dir, "ran");
      const r = await credvend(["exec", ...TEMPLATE, "--", "sh", "-c", `touch ${marker}`], env());
      assert.equal(r.code, 1, r.stderr);
      assertOneLine(r.stderr, /profile "default".*credentials.*AWS_SHARED_CREDENTIALS_FILE/);
      assert.equal(r.stderr.includes(devCredentials("demo-app").secretAccessKey), false);
      assert.equal(readdirSync(dir).includes("ran"), false, "the command must not run");
    } finally {
      rmSync(credentialsFile, { force: true });
    }
    // A named profile is no danger: a command uses it only when told to.
    writeFileSync(credentialsFile, `[named]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = example\n`);
    try {
      const ok = await credvend(["exec", ...TEMPLATE, "--", "true"], env());
      assert.equal(ok.code, 0, ok.stderr);
    } finally {
      rmSync(credentialsFile, { force: true });
    }
  });

  test("a cache entry swapped for another key's is never served in its place", async () => {
    const cacheDir = path.join(dir, "swap-cache");
    const short = ["credential-process", ...TEMPLATE, "--duration", "900"];
    const long = ["credential-process", ...TEMPLATE, "--duration", "1800"];
    const vend = async (args: readonly string[]): Promise<string> => {
      const r = await credvend(args, env({ CREDVEND_CACHE_DIR: cacheDir }));
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { AccessKeyId: string }).AccessKeyId;
    };
    const shortKey = await vend(short);
    const longKey = await vend(long);
    assert.notEqual(shortKey, longKey);
    assert.equal(await vend(short), shortKey, "the cache serves its own entry");
    const entries = readdirSync(cacheDir).filter((f) => f.endsWith(".json")).sort();
    assert.equal(entries.length, 2);
    // Both ways round: each key's file now holds the other's sealed reply.
    const [a, b] = entries as [string, string];
    const spare = path.join(dir, "spare.json");
    copyFileSync(path.join(cacheDir, a), spare);
    copyFileSync(path.join(cacheDir, b), path.join(cacheDir, a));
    copyFileSync(spare, path.join(cacheDir, b));
    const afterShort = await vend(short);
    const afterLong = await vend(long);
    assert.notEqual(afterShort, longKey, "a 900 s request must not get the 1800 s credential");
    assert.notEqual(afterLong, shortKey, "a 1800 s request must not get the 900 s credential");
  });
});
