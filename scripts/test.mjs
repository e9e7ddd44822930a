// `npm test`: build, then run every compiled test file with node's test runner.
// Usage: npm test [-- [--no-build] <substring filter of test file paths>]
//
// Unless NATS_URL / REDIS_URL are already set, one nats-server and one redis-server are started
// (via the compiled testkit) for the whole run and exported to the test processes, so test files
// share them instead of each starting its own. They are stopped afterwards, also on failure or
// Ctrl-C. Test processes share one private TMPDIR, removed at the end (leftovers are named).
// The exit status is the test run's.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
if (!args.includes("--no-build")) {
  const build = spawnSync(process.execPath, [path.join(root, "scripts/build.mjs")], { stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

function findTests(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) findTests(full, out);
    else if (entry.name.endsWith(".test.js") && full.includes(`${path.sep}dist${path.sep}`)) out.push(full);
  }
  return out;
}

const filters = args.filter((a) => a !== "--no-build");
const files = ["packages", "services", "test"].flatMap((d) => findTests(path.join(root, d)))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files matched ${filters.join(", ") || "(all)"}`);
  process.exit(1);
}

const env = { ...process.env };
// Every test process gets one private temp folder (os.tmpdir() follows TMPDIR): whatever a test
// leaves behind is named at the end and removed with it, also after a failure or Ctrl-C.
const runTmp = fs.mkdtempSync(path.join(os.tmpdir(), "credvend-testrun-"));
env.TMPDIR = runTmp;
// `credvend dev` keeps a per-user dev secret in the XDG state folder: the run gets its own, never
// the real one of whoever runs the tests, removed at the end.
const runState = fs.mkdtempSync(path.join(os.tmpdir(), "credvend-teststate-"));
env.XDG_STATE_HOME = runState;
// The run never uses the AWS identity of whoever runs it (a [default] profile on a laptop, the
// instance role of a CI host): every test names its own aws-local credentials, and a test that
// expects none must find none. Shared files point into the run's own state folder (absent unless a
// test writes them), credential variables are dropped, and the SDKs never ask the EC2 metadata service.
for (const name of Object.keys(env)) {
  if (/^AWS_(PROFILE|DEFAULT_PROFILE|ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|SECURITY_TOKEN|CREDENTIAL_EXPIRATION|ROLE_ARN|ROLE_SESSION_NAME|WEB_IDENTITY_TOKEN_FILE|CONTAINER_.+|ENDPOINT_URL.*)$/.test(name)) delete env[name];
}
env.AWS_SHARED_CREDENTIALS_FILE = path.join(runState, "aws", "credentials");
env.AWS_CONFIG_FILE = path.join(runState, "aws", "config");
env.AWS_EC2_METADATA_DISABLED = "true";
// Test processes load the AWS SDK; its notice about future Node versions would precede every file's output.
env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const servers = [];
await startSharedServers();

// No run may stall: a test that never ends fails after 10 minutes, and a test file whose process
// outlives its tests fails with what holds it open (scripts/test-linger.mjs).
const nodeTestArgs = [
  "--test", "--test-concurrency=2", "--test-reporter=spec", "--test-timeout=600000",
  `--import=${pathToFileURL(path.join(root, "scripts/test-linger.mjs")).href}`,
];
const child = spawn(process.execPath, [...nodeTestArgs, ...files], { stdio: "inherit", cwd: root, env });

// Ctrl-C reaches the test runner directly (same process group); we only have to outlive it to
// clean up. SIGTERM is sent to us alone, so pass it on.
let interrupted = false;
process.on("SIGINT", () => {
  interrupted = true;
});
process.on("SIGTERM", () => {
  interrupted = true;
  child.kill("SIGTERM");
});
const status = await new Promise((resolve) => {
  child.once("error", (err) => {
    console.error(`test: could not run node --test: ${err.message}`);
    resolve(1);
  });
  child.once("exit", (code, signal) => resolve(code ?? 128 + (os.constants.signals[signal] ?? 0)));
});
await stopSharedServers();
removeRunTmp();
fs.rmSync(runState, { recursive: true, force: true });
if (interrupted && status === 0) process.exit(130);
process.exit(status);

async function startSharedServers() {
  if (env.NATS_URL && env.REDIS_URL) return;
  const testkit = await import(pathToFileURL(path.join(root, "packages/testkit/dist/index.js")).href);
  try {
    if (!env.NATS_URL) {
      const nats = await testkit.startNatsServer();
      servers.push(nats);
      env.NATS_URL = nats.url;
    }
    if (!env.REDIS_URL) {
      const redis = await testkit.startRedisServer();
      servers.push(redis);
      env.REDIS_URL = redis.url;
    }
    console.error(`test: shared servers NATS ${env.NATS_URL}, Redis ${env.REDIS_URL}`);
  } catch (err) {
    // Without the binaries each test process finds its own servers (containers, if an engine answers).
    if (!(err instanceof testkit.MissingBinaryError)) {
      await stopSharedServers();
      throw err;
    }
    console.error(`test: ${err.message}\ntest: continuing; each test file will look for servers itself`);
  }
}

function removeRunTmp() {
  // npm 11 keeps V8's code cache in the temp folder (module.enableCompileCache): npm's, not a test's.
  const left = fs.readdirSync(runTmp).filter((name) => name !== "node-compile-cache");
  if (left.length > 0) console.error(`test: removing ${left.length} temp folder(s) left behind by tests: ${left.join(", ")}`);
  fs.rmSync(runTmp, { recursive: true, force: true });
}

async function stopSharedServers() {
  await Promise.allSettled(servers.splice(0).map((server) => server.stop()));
}
