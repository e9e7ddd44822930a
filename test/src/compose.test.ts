// docker-compose.yml and the Dockerfile, checked without a Docker engine: the compose file is valid
// (docker-compose config -q), has the shape of the dev stack, names only settings the worker reads,
// and its NATS authorization is credvend's own output whose bcrypt hashes admit exactly the
// passwords the clients hold (on a real nats-server); the Dockerfile copies files that exist and
// installs no test harness.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "@credvend/launcher";
import { ConfigHolder, SETTING_NAMES } from "@credvend/worker";
import { connect } from "nats";
import { parse } from "yaml";
import { credvend, ROOT } from "./support/cli.js";

const run = promisify(execFile);
const COMPOSE = path.join(ROOT, "docker-compose.yml");

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  ports?: unknown[];
}

/** The file as docker-compose resolves it (anchors merged); fails, never skips, without docker-compose. */
async function resolved(): Promise<Record<string, Service>> {
  const out = await run("docker-compose", ["-f", COMPOSE, "config"], { cwd: ROOT }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") assert.fail("docker-compose is not installed (apt-get install -y docker-compose; .ci/run does it)");
    throw error;
  });
  return (parse(out.stdout) as { services: Record<string, Service> }).services;
}

// What the AWS SDK reads itself (not credvend settings).
const AWS_SDK_VARS = new Set(["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]);
// What the CLI's requester commands read (services/cli/src/cli-env.ts).
const REQUESTER_VARS = new Set(["NATS_URL", "NATS_USER", "NATS_PASSWORD", "CREDVEND_TENANT", "CREDVEND_PRINCIPAL", "CREDVEND_REPLY_KEY_ARN", "AWS_REGION"]);

test("docker-compose config -q accepts the file", async () => {
  await run("docker-compose", ["-f", COMPOSE, "config", "-q"], { cwd: ROOT }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") assert.fail("docker-compose is not installed (apt-get install -y docker-compose; .ci/run does it)");
    throw error;
  });
});

test("the stack: 3 NATS nodes, Redis with a password, aws-local, two healthy-gated workers, a demo requester; pinned images, no host ports", async () => {
  const services = await resolved();
  assert.deepEqual(Object.keys(services).sort(), ["aws-local", "demo-requester", "nats-1", "nats-2", "nats-3", "redis", "worker-1", "worker-2"]);
  for (const [name, s] of Object.entries(services)) {
    assert.match(s.image ?? "", /:\d+\.\d+\.\d+(-[a-z]+)?$/, `${name}: image pinned to an exact version`);
    assert.equal(s.ports, undefined, `${name}: no host port by default`);
    if (name !== "demo-requester") assert.ok(s.healthcheck?.test?.length, `${name} has a healthcheck`);
  }
  for (const name of ["worker-1", "worker-2"]) {
    const w = services[name]!;
    assert.deepEqual(w.command, ["worker"]);
    for (const dep of ["nats-1", "nats-2", "nats-3", "redis", "aws-local"]) assert.equal(w.depends_on?.[dep]?.condition, "service_healthy", `${name} waits for ${dep}`);
    assert.match(String(w.healthcheck?.test), /\/readyz/);
    const env = w.environment ?? {};
    for (const key of Object.keys(env)) assert.ok(SETTING_NAMES.includes(key) || AWS_SDK_VARS.has(key), `${name}: ${key} is not a worker setting`);
    assert.equal(env["CREDVEND_HTTP_HOST"], "0.0.0.0", "probes reach the port from outside the loopback");
    assert.equal(env["NATS_URL"]?.split(",").length, 3);
    assert.match(env["REDIS_URL"] ?? "", /^redis:\/\/:[^@]+@redis:6379$/);
    const config = path.join(ROOT, "deploy/compose", path.basename(env["CREDVEND_CONFIG"] ?? ""));
    assert.ok(ConfigHolder.fromFile(config, { vendorUsesRoleCredentials: false }).current(), "the workers' config loads");
  }
  const redis = services["redis"]!;
  assert.ok(redis.command?.includes("--requirepass"));
  const demo = services["demo-requester"]!;
  assert.deepEqual(demo.command?.slice(0, 1), ["request"]);
  for (const key of Object.keys(demo.environment ?? {})) assert.ok(REQUESTER_VARS.has(key) || AWS_SDK_VARS.has(key), `demo-requester: ${key} is not read by credvend request`);
  for (const w of ["worker-1", "worker-2"]) assert.equal(demo.depends_on?.[w]?.condition, "service_healthy");
});

test("NATS authorization is credvend nats-config output, and its bcrypt hashes admit the clients' passwords only", async (t) => {
  const services = await resolved();
  const natsEnv = services["nats-1"]!.environment ?? {};
  // The compose file holds the bcrypt hashes (made once from the dev-only passwords); nats-config
  // keeps a variable that already holds a hash, so its output is the committed file exactly.
  const hashEnv = Object.fromEntries(Object.entries(natsEnv).filter(([k]) => k.endsWith("_NATS_PASSWORD")).map(([k, v]) => [k, String(v).replaceAll("$$", "$").replace(/^"|"$/g, "")]));
  const generated = await credvend(["nats-config", path.join(ROOT, "deploy/compose/credvend.yaml")], hashEnv);
  assert.equal(generated.code, 0, generated.stderr);
  const auth = path.join(ROOT, "deploy/compose/credvend-auth.conf");
  assert.equal(readFileSync(auth, "utf8"), generated.stdout, "regenerate: credvend nats-config deploy/compose/credvend.yaml > deploy/compose/credvend-auth.conf (with the compose file's hashes in the environment)");
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-compose-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(auth, path.join(dir, "credvend-auth.conf"));
  const port = await freePort();
  writeFileSync(path.join(dir, "n.conf"), `listen: 127.0.0.1:${port}\ninclude ./credvend-auth.conf\n`);
  // `docker-compose config` keeps $$ escapes; the container sees single $.
  const hashes = Object.fromEntries(Object.entries(natsEnv).filter(([k]) => k.endsWith("_NATS_PASSWORD")).map(([k, v]) => [k, String(v).replaceAll("$$", "$")]));
  assert.equal(Object.keys(hashes).length, 2);
  for (const v of Object.values(hashes)) assert.match(v, /^"\$2[aby]\$\d\d\$/, "a quoted bcrypt hash");
  const server = spawn("nats-server", ["-c", path.join(dir, "n.conf")], { cwd: dir, env: { PATH: process.env.PATH ?? "", ...hashes }, stdio: "ignore" });
  try {
    const worker = services["worker-1"]!.environment ?? {};
    const demo = services["demo-requester"]!.environment ?? {};
    const tryConnect = async (user: string, pass: string) => {
      for (let i = 0; ; i += 1) {
        try {
          const nc = await connect({ servers: `127.0.0.1:${port}`, user, pass, reconnect: false });
          await nc.close();
          return "ok";
        } catch (error) {
          const code = (error as { code?: string }).code ?? "";
          if (code !== "CONNECTION_REFUSED" || i > 50) return code;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    assert.equal(await tryConnect(String(worker["NATS_USER"]), String(worker["NATS_PASSWORD"])), "ok");
    assert.equal(await tryConnect(String(demo["NATS_USER"]), String(demo["NATS_PASSWORD"])), "ok");
    assert.equal(await tryConnect(String(demo["NATS_USER"]), String(worker["NATS_PASSWORD"])), "AUTHORIZATION_VIOLATION");
  } finally {
    server.kill("SIGTERM");
  }
});

test("the Dockerfile copies files that exist, runs Node 24, non-root, with a HEALTHCHECK", () => {
  const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
  const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
  assert.ok(froms.length >= 2 && froms.every((f) => f === "node:24-bookworm-slim"), froms.join(", "));
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, /^HEALTHCHECK .*\/readyz/ms);
  let copies = 0;
  for (const m of dockerfile.matchAll(/^COPY (--from=\S+ )?(.+)$/gm)) {
    const parts = m[2]!.trim().split(/\s+/);
    const sources = parts.slice(0, -1);
    for (const src of sources) {
      if (src === ".") continue;
      // --from=build copies what the build made (dist/ after `npm ci`): built here too.
      const local = src.replace(/^\/app\//, "");
      if (m[1]?.includes("deps") && local === "node_modules") continue;
      assert.ok(existsSync(path.join(ROOT, local)), `Dockerfile copies ${src}, which does not exist`);
      copies += 1;
    }
  }
  assert.ok(copies > 20, `${copies} sources checked`);
  const ignore = readFileSync(path.join(ROOT, ".dockerignore"), "utf8").split("\n");
  for (const entry of ["node_modules", "**/dist", ".git"]) assert.ok(ignore.includes(entry), `.dockerignore has ${entry}`);
});

test("the image's production install (its deps stage, replayed in a folder) has no testcontainers or test harness", async (t) => {
  const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
  const stage = dockerfile.slice(dockerfile.indexOf("AS deps"), dockerfile.indexOf("# ---- runtime"));
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-image-deps-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const m of stage.matchAll(/^COPY (.+) (\S+)$/gm)) {
    for (const src of m[1]!.split(/\s+/)) {
      mkdirSync(path.join(dir, path.dirname(src)), { recursive: true });
      copyFileSync(path.join(ROOT, src), path.join(dir, src));
    }
  }
  const at = stage.indexOf("\nRUN ");
  assert.ok(at > 0, "the deps stage has a RUN");
  const runLine = (stage.slice(at + 5).split("\n\n")[0] ?? "").replace(/\\\n\s*/g, " ").trim();
  assert.match(runLine, /npm install --omit=dev/);
  await run("sh", ["-c", runLine], { cwd: dir, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 });
  const installed = readdirSync(path.join(dir, "node_modules"));
  assert.ok(installed.includes("nats") && installed.includes("prom-client") && installed.includes("@credvend"));
  const harness = [...installed, ...readdirSync(path.join(dir, "node_modules/@credvend")).map((n) => `@credvend/${n}`)]
    .filter((n) => /testcontainers|dockerode|^@credvend\/testkit$|typescript|fast-check/.test(n));
  assert.deepEqual(harness, []);
  t.diagnostic(`production dependencies: ${installed.length} top-level packages`);
});
