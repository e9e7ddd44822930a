// Installable outside the checkout: `npm pack` of the client (with protocol and envelope) and of
// the CLI with everything it needs, `npm install ./*.tgz` into an empty project in the temp
// folder (where no node_modules of this checkout can be found), then the installed code vends
// against a real stack. npm's cache makes the install take seconds after the first run.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { DEV_ACCOUNT_ID, DEV_REPLY_KEY_ID, devCredentials } from "@credvend/aws-local";
import { redisUrl, uniqueName } from "@credvend/testkit";
import { spawnWatched, WORKER_HEAP_FLAGS } from "./support/cli.js";
import { cleanEnv, installTarballs, packTarballs, WORKSPACES } from "./support/packed.js";
import { demoConfig } from "./support/config.js";
import { REGION, startHarness, type Harness } from "./support/harness.js";

const run = promisify(execFile);

const FORBIDDEN = ["testcontainers", "dockerode", "ssh2", "@credvend/testkit"];

describe("npm pack tarballs install and run outside the checkout", () => {
  const project = mkdtempSync(path.join(tmpdir(), "credvend-install-"));
  const bin = path.join(project, "node_modules/.bin/credvend");
  const globalPrefix = path.join(project, "global");
  const tenant = uniqueName("pack");
  let h: Harness;
  let installMs = 0;

  before(async () => {
    const tarballs = await packTarballs(project);
    assert.equal(tarballs.length, WORKSPACES.length);
    const started = Date.now();
    // The project install (the client SDK's way) and the README's global install of the command,
    // side by side; the global one goes to a prefix inside the temp folder.
    await Promise.all([installTarballs(project, tarballs), installTarballs(project, tarballs, ["--global", "--prefix", globalPrefix])]);
    installMs = Date.now() - started;
    h = await startHarness({ config: demoConfig({ tenants: [tenant] }) });
  });
  after(async () => {
    await h?.stop();
    rmSync(project, { recursive: true, force: true });
  });

  const requesterEnv = (): Record<string, string> => ({
    NATS_URL: h.natsUrl,
    CREDVEND_TENANT: tenant,
    CREDVEND_PRINCIPAL: "demo-app",
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: h.awsLocal.endpoint,
    AWS_ACCESS_KEY_ID: devCredentials("demo-app").accessKeyId,
    AWS_SECRET_ACCESS_KEY: devCredentials("demo-app").secretAccessKey,
    // The workers' reply key, for clients that pin it (replies sealed under another key are refused).
    CREDVEND_REPLY_KEY_ARN: `arn:aws:kms:${REGION}:${DEV_ACCOUNT_ID}:key/${DEV_REPLY_KEY_ID}`,
  });

  test("every @credvend package resolved to its tarball, never to the registry", () => {
    const lock = JSON.parse(readFileSync(path.join(project, "package-lock.json"), "utf8")) as { packages: Record<string, { resolved?: string }> };
    const ours = Object.entries(lock.packages).filter(([p]) => p.includes("node_modules/@credvend/"));
    assert.equal(ours.length, WORKSPACES.length, ours.map(([p]) => p).join("\n"));
    for (const [where, entry] of ours) {
      assert.match(entry.resolved ?? "", /^file:credvend-[a-z-]+-\d+\.\d+\.\d+\.tgz$/, `${where} resolved to ${entry.resolved}`);
    }
    console.error(`pack-install: npm install (project and --global) of ${WORKSPACES.length} tarballs took ${installMs} ms`);
  });

  test("a script using @credvend/client, nats and KMSClient vends a credential", async () => {
    // The README's example, imports in full.
    writeFileSync(path.join(project, "vend.mjs"), `import { KMSClient } from "@aws-sdk/client-kms";
import { CredvendClient } from "@credvend/client";
import { connect } from "nats";

const nc = await connect({ servers: process.env.NATS_URL });
const client = new CredvendClient({ nc, tenant: process.env.CREDVEND_TENANT, principal: "demo-app", kms: new KMSClient({}), replyKeyArn: process.env.CREDVEND_REPLY_KEY_ARN });
const creds = await client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
console.log(JSON.stringify({ accessKeyId: creds.accessKeyId, arn: creds.arn, expires: creds.expiration.toISOString() }));
await nc.close();
`);
    const { stdout } = await run(process.execPath, ["vend.mjs"], { cwd: project, env: cleanEnv(requesterEnv()), timeout: 30_000 });
    const out = JSON.parse(stdout) as { accessKeyId: string; arn: string; expires: string };
    assert.match(out.accessKeyId, /^ASIA/);
    assert.match(out.arn, /assumed-role\/credvend-demo\//);
    assert.ok(Date.parse(out.expires) > Date.now());
  });

  test("the installed credvend command prints its help and requests credentials", async () => {
    const help = await run(bin, ["--help"], { cwd: project, env: cleanEnv() });
    assert.match(help.stdout, /^usage: credvend <command>/);
    const request = await run(bin, ["request", "--template", "s3-tenant-read", "--param", "bucket=acme-data"], { cwd: project, env: cleanEnv(requesterEnv()), timeout: 30_000 });
    const creds = JSON.parse(request.stdout) as { Version: number; AccessKeyId: string };
    assert.equal(creds.Version, 1);
    assert.match(creds.AccessKeyId, /^ASIA/);
  });

  test("npm install -g ./credvend-*.tgz gives a credvend command that requests credentials", async () => {
    const globalBin = path.join(globalPrefix, "bin/credvend");
    const version = await run(globalBin, ["--version"], { cwd: tmpdir(), env: cleanEnv() });
    assert.match(version.stdout, /^credvend \d+\.\d+\.\d+\n$/);
    const request = await run(globalBin, ["request", "--template", "s3-tenant-read", "--param", "bucket=acme-data"], { cwd: tmpdir(), env: cleanEnv(requesterEnv()), timeout: 30_000 });
    assert.match((JSON.parse(request.stdout) as { AccessKeyId: string }).AccessKeyId, /^ASIA/);
  });

  test("the installed credvend worker gets ready with its heap flags, as the process npm's bin started, and stops on SIGTERM", async () => {
    const config = path.join(project, "worker.yaml");
    writeFileSync(config, demoConfig({ tenants: [uniqueName("packw")] }));
    const worker = spawnWatched(bin, ["worker"], cleanEnv({
      NATS_URL: h.natsUrl, REDIS_URL: h.redisUrl, CREDVEND_CONFIG: config, AWS_REGION: REGION, AWS_ENDPOINT_URL: h.awsLocal.endpoint,
      AWS_ACCESS_KEY_ID: devCredentials("credvend-vendor").accessKeyId, AWS_SECRET_ACCESS_KEY: devCredentials("credvend-vendor").secretAccessKey, CREDVEND_HTTP_PORT: "0",
    }), project);
    try {
      await worker.waitFor(/worker ready/);
      // The bin's `#!/usr/bin/env node` picks the node on PATH: the flags are there where that node can replace itself.
      const argv = readFileSync(`/proc/${worker.child.pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      const { stdout: execve } = await run(argv[0] ?? "node", ["-p", "typeof process.execve"]);
      assert.deepEqual(argv.slice(1, 3), execve.trim() === "function" ? [...WORKER_HEAP_FLAGS] : [bin, "worker"], argv.join(" "));
      assert.deepEqual(argv.slice(-2), [bin, "worker"]);
      worker.child.kill("SIGTERM");
      assert.equal(await worker.exited, 0, worker.output());
    } finally {
      worker.kill();
    }
  });

  test("the installed credvend dev --once runs the whole stack from the install (example config, launcher)", async () => {
    const dev = await run(bin, ["dev", "--once"], { cwd: project, env: cleanEnv({ REDIS_URL: await redisUrl() }), timeout: 60_000 });
    const summary = JSON.parse(dev.stdout) as { callerIdentityArn: string; assumedRoleArn: string };
    assert.match(summary.assumedRoleArn, /assumed-role\/credvend-demo\//);
    assert.equal(summary.callerIdentityArn, summary.assumedRoleArn);
  });

  test("the CLI's production trees (project and global) carry no container tooling", () => {
    const installed = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        if (entry.name.startsWith("@")) {
          for (const scoped of readdirSync(path.join(dir, entry.name), { withFileTypes: true })) {
            if (!scoped.isDirectory()) continue;
            installed.add(`${entry.name}/${scoped.name}`);
            walkNested(path.join(dir, entry.name, scoped.name));
          }
        } else if (!entry.name.startsWith(".")) {
          installed.add(entry.name);
          walkNested(path.join(dir, entry.name));
        }
      }
    };
    const walkNested = (pkg: string): void => {
      try {
        walk(path.join(pkg, "node_modules"));
      } catch {
        // no nested node_modules
      }
    };
    for (const tree of [path.join(project, "node_modules"), path.join(globalPrefix, "lib/node_modules")]) {
      installed.clear();
      walk(tree);
      assert.ok(installed.has("@credvend/cli") && installed.has("nats"), `the walk sees the installed tree ${tree}`);
      for (const name of FORBIDDEN) assert.ok(!installed.has(name), `${name} is installed in ${tree}`);
    }
  });
});
