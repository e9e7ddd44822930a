// `credvend credential-process` behind the AWS CLI, as a user outside this checkout has it: the
// tarballs installed in a temp folder, an AWS config whose profile runs the installed command, the
// AWS CLI (the real one, on the PATH) run from another folder. Shown: the CLI gets the assumed
// role; ten commands cost one AssumeRole (the sealed reply is cached); eight cold callers at once
// cost one; AWS_PROFILE naming that profile does not make credvend run itself; the cache is
// private and never holds a secret; a warm call makes no NATS connection.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, createServer, type AddressInfo } from "node:net";
import { devCredentials } from "@credvend/aws-local";
import { uniqueName } from "@credvend/testkit";
import { demoConfig } from "./support/config.js";
import { REGION, REPLY_KEY_ARN, startHarness, type Harness } from "./support/harness.js";
import { cleanEnv, installTarballs, packTarballs } from "./support/packed.js";

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string, timeout = 60_000): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(file, [...args], { env, cwd, timeout, encoding: "utf8" }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr, ms: Date.now() - started });
    });
  });
}

describe("credential_process with the installed credvend and the AWS CLI", () => {
  const project = mkdtempSync(path.join(tmpdir(), "credvend-cp-install-"));
  const home = mkdtempSync(path.join(tmpdir(), "credvend-cp-home-"));
  const elsewhere = mkdtempSync(path.join(tmpdir(), "credvend-cp-cwd-"));
  const bin = path.join(project, "node_modules/.bin/credvend");
  const cacheDir = path.join(home, "cache");
  const tenant = uniqueName("cp");
  const configFile = path.join(home, "aws-config");
  let h: Harness;

  const process_ = (extra: string) => `${bin} credential-process --template s3-tenant-read --param bucket=acme-data${extra}`;

  before(async () => {
    const tarballs = await packTarballs(project);
    await installTarballs(project, tarballs);
    h = await startHarness({ config: demoConfig({ tenants: [tenant] }) });
    const requester = devCredentials("demo-app");
    writeFileSync(path.join(home, "wrapper.sh"), `#!/bin/sh\nexec ${bin} credential-process --template s3-tenant-read --param bucket=shared-data\n`, { mode: 0o755 });
    writeFileSync(configFile, `[profile credvend-s3]
credential_process = ${process_("")}
region = ${REGION}

[profile credvend-s3-nocache]
credential_process = ${process_(" --no-cache")}
region = ${REGION}

[profile credvend-wrapped]
credential_process = ${path.join(home, "wrapper.sh")}
region = ${REGION}

[profile requester]
aws_access_key_id = ${requester.accessKeyId}
aws_secret_access_key = ${requester.secretAccessKey}
region = ${REGION}
`);
  });
  after(async () => {
    await h?.stop();
    for (const dir of [project, home, elsewhere]) rmSync(dir, { recursive: true, force: true });
  });

  /** The shell of a user who exported credvend's settings; the requester's own identity is a profile of its own. */
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => cleanEnv({
    HOME: home,
    AWS_CONFIG_FILE: configFile,
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, "no-credentials"),
    AWS_ENDPOINT_URL: h.awsLocal.endpoint,
    AWS_DEFAULT_REGION: REGION,
    NATS_URL: h.natsUrl,
    CREDVEND_TENANT: tenant,
    CREDVEND_PRINCIPAL: "demo-app",
    CREDVEND_REPLY_KEY_ARN: REPLY_KEY_ARN,
    CREDVEND_AWS_PROFILE: "requester",
    CREDVEND_CACHE_DIR: cacheDir,
    ...extra,
  });
  const aws = (args: readonly string[], extra: Record<string, string> = {}) => run("aws", args, env(extra), elsewhere);
  const assumeRoles = async (): Promise<number> => (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0;

  test("aws sts get-caller-identity answers the assumed role; ten commands in a row cost one AssumeRole", async () => {
    rmSync(cacheDir, { recursive: true, force: true });
    const before = await assumeRoles();
    for (let i = 0; i < 10; i += 1) {
      const r = await aws(["sts", "get-caller-identity", "--profile", "credvend-s3", "--output", "json"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match((JSON.parse(r.stdout) as { Arn: string }).Arn, /^arn:aws:sts::000000000000:assumed-role\/credvend-demo\//);
    }
    assert.equal(await assumeRoles() - before, 1);
    // The install carries the bundled entry point the command takes for credential-process.
    assert.ok(existsSync(path.join(project, "node_modules/@credvend/cli/dist/bundle/credential-process-main.js")));
  });

  test("without the cache every command costs its own AssumeRole (the count above is the cache's doing)", async () => {
    const before = await assumeRoles();
    for (let i = 0; i < 2; i += 1) assert.equal((await aws(["sts", "get-caller-identity", "--profile", "credvend-s3-nocache"])).code, 0);
    assert.ok(await assumeRoles() - before >= 2);
  });

  test("AWS_PROFILE set to the credvend profile does not recurse", async () => {
    // With credvend's own identity set, the profile in AWS_PROFILE is only the AWS CLI's business.
    const ok = await aws(["sts", "get-caller-identity"], { AWS_PROFILE: "credvend-s3" });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match((JSON.parse(ok.stdout) as { Arn: string }).Arn, /assumed-role\/credvend-demo\//);
    // Without it, credvend would resolve AWS_PROFILE for itself: refused at once, saying what to set.
    const loop = await aws(["sts", "get-caller-identity"], { AWS_PROFILE: "credvend-s3", CREDVEND_AWS_PROFILE: "", CREDVEND_CACHE_DIR: path.join(home, "cache-loop") });
    assert.notEqual(loop.code, 0);
    assert.match(loop.stderr, /credvend's own AWS identity .* would come from profile 'credvend-s3', chosen by AWS_PROFILE, whose credential_process runs credvend itself; set CREDVEND_AWS_PROFILE/);
    assert.ok(loop.ms < 20_000, `refused after ${loop.ms} ms`);
    // Through a wrapper script the first guard can not see into: the environment marker stops the
    // second credvend at once (the SDK's chain then reports only that it found no credentials).
    const wrapped = await aws(["sts", "get-caller-identity"], { AWS_PROFILE: "credvend-wrapped", CREDVEND_AWS_PROFILE: "", CREDVEND_CACHE_DIR: path.join(home, "cache-wrapped") });
    assert.notEqual(wrapped.code, 0);
    assert.match(wrapped.stderr, /cannot get credvend's own AWS identity from the AWS SDK's default chain: .*; set CREDVEND_AWS_PROFILE/);
    assert.ok(wrapped.ms < 20_000, `refused after ${wrapped.ms} ms`);
    const nested = await run(bin, ["credential-process", "--template", "s3-tenant-read", "--param", "bucket=shared-data"], env({ CREDVEND_RESOLVING_OWN_IDENTITY: "1" }), elsewhere);
    assert.equal(nested.code, 1);
    assert.match(nested.stderr, /credvend was started to find credvend's own AWS identity/);
  });

  test("eight cold credential-process calls at once cost one AssumeRole and get the same credential", async () => {
    rmSync(cacheDir, { recursive: true, force: true });
    const before = await assumeRoles();
    const runs = await Promise.all(Array.from({ length: 8 }, () => run(bin, ["credential-process", "--template", "s3-tenant-read", "--param", "bucket=acme-data"], env(), elsewhere)));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const keys = new Set(runs.map((r) => (JSON.parse(r.stdout) as { AccessKeyId: string }).AccessKeyId));
    assert.equal(keys.size, 1);
    assert.equal(await assumeRoles() - before, 1);
  });

  test("Version 1 output with Expiration; the cache is private (0700, 0600) and holds no secret", async () => {
    const r = await run(bin, ["credential-process", "--template", "s3-tenant-read", "--param", "bucket=acme-data"], env(), elsewhere);
    assert.equal(r.code, 0, r.stderr);
    const creds = JSON.parse(r.stdout) as { Version: number; AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string };
    assert.equal(creds.Version, 1);
    assert.ok(Date.parse(creds.Expiration) > Date.now() + 5 * 60_000);
    assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
    const files = readdirSync(cacheDir);
    assert.ok(files.some((f) => f.endsWith(".json")), files.join(","));
    // Entries are 0600 files; on Node >= 22 also V8's compile cache of the bundle, a 0700 folder.
    for (const f of files) assert.equal(statSync(path.join(cacheDir, f)).mode & 0o777, statSync(path.join(cacheDir, f)).isDirectory() ? 0o700 : 0o600, f);
    for (const f of readdirSync(cacheDir, { recursive: true, encoding: "utf8" })) {
      const file = path.join(cacheDir, f);
      if (statSync(file).isDirectory()) continue;
      const text = readFileSync(file);
      for (const secret of [creds.SecretAccessKey, creds.SessionToken]) {
        assert.equal(text.includes(secret), false, `${f} holds a secret in clear`);
        assert.equal(text.includes(Buffer.from(secret).toString("base64")), false, `${f} holds a secret in base64`);
      }
    }
  });

  test("a cache directory open to others, or someone else's, is refused; --no-cache works without one", async () => {
    const loose = path.join(home, "cache-loose");
    mkdirSync(loose, { mode: 0o700 });
    chmodSync(loose, 0o755);
    const r = await run(bin, ["credential-process", "--template", "s3-tenant-read", "--param", "bucket=acme-data"], env({ CREDVEND_CACHE_DIR: loose }), elsewhere);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cache directory .*cache-loose is open to other users \(mode 0755\); run chmod 700/);
    assert.deepEqual(readdirSync(loose), []);
    const bypass = await run(bin, ["credential-process", "--template", "s3-tenant-read", "--param", "bucket=acme-data", "--no-cache"], env({ CREDVEND_CACHE_DIR: loose }), elsewhere);
    assert.equal(bypass.code, 0, bypass.stderr);
  });

  test("an entry is never served for other parameters", async () => {
    const a = await run(bin, ["credential-process", "--template", "s3-tenant-read", "--param", "bucket=acme-data"], env(), elsewhere);
    const b = await run(bin, ["credential-process", "--template", "s3-tenant-read", "--param", "bucket=shared-data"], env(), elsewhere);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const key = (r: Run) => (JSON.parse(r.stdout) as { AccessKeyId: string }).AccessKeyId;
    assert.notEqual(key(a), key(b));
    const session = await h.awsLocal.admin.session(key(b));
    assert.match(JSON.stringify(session?.sessionPolicy ?? ""), /shared-data/);
  });

  test("a warm call makes no NATS connection: one KMS Decrypt of the cached sealed reply", async () => {
    // NATS through a loopback proxy that counts connections (the URL is part of the cache key, so
    // both calls go through it).
    const target = new URL(h.natsUrl);
    let connections = 0;
    const proxy = createServer((socket) => {
      connections += 1;
      const upstream = connect(Number(target.port), target.hostname);
      socket.pipe(upstream).pipe(socket);
      for (const s of [socket, upstream]) s.on("error", () => { socket.destroy(); upstream.destroy(); });
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const viaProxy = env({ NATS_URL: `nats://127.0.0.1:${(proxy.address() as AddressInfo).port}`, CREDVEND_CACHE_DIR: path.join(home, "cache-proxy") });
      const args = ["credential-process", "--template", "s3-tenant-read", "--param", "bucket=acme-data"];
      const cold = await run(bin, args, viaProxy, elsewhere);
      assert.equal(cold.code, 0, cold.stderr);
      assert.ok(connections >= 1, "the cold call connects through the proxy");
      const seen = connections;
      const decrypts = (await h.awsLocal.admin.calls())["kms:Decrypt"]?.ok ?? 0;
      const warm = await run(bin, args, viaProxy, elsewhere);
      assert.equal(warm.code, 0, warm.stderr);
      assert.equal((JSON.parse(warm.stdout) as { AccessKeyId: string }).AccessKeyId, (JSON.parse(cold.stdout) as { AccessKeyId: string }).AccessKeyId);
      assert.equal(connections, seen, "the warm call connected to NATS");
      assert.equal(((await h.awsLocal.admin.calls())["kms:Decrypt"]?.ok ?? 0) - decrypts, 1);
    } finally {
      proxy.close();
    }
  });
});
