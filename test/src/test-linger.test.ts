// The test runner's watchdog (scripts/test-linger.mjs, preloaded by `npm test`): a test file whose
// process outlives its tests fails within the linger time and names what holds it open, instead of
// stalling the run; a file that cleans up exits as before, and unref'd handles are not blamed.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, spawnWatched } from "./support/cli.js";

const dir = mkdtempSync(path.join(tmpdir(), "credvend-linger-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** scripts/test-linger.mjs names each timer and socket on Node 24 and later. */
const NAMES_EACH = Number(process.versions.node.split(".")[0]) >= 24;
const LINGER = pathToFileURL(path.join(ROOT, "scripts/test-linger.mjs")).href;

interface Run {
  readonly code: number;
  readonly output: string;
  readonly ms: number;
}

/** `node --test` on one file with the watchdog preloaded, as scripts/test.mjs runs every file. */
async function runFile(name: string, source: string, lingerMs: number, env: Record<string, string> = {}): Promise<Run> {
  const file = path.join(dir, name);
  writeFileSync(file, source);
  // This process is itself a test file's: without this, the nested runner would take itself for one.
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env;
  const started = Date.now();
  const run = spawnWatched(process.execPath, ["--test", "--test-reporter=spec", `--import=${LINGER}`, file], { ...inherited, ...env, CREDVEND_TEST_LINGER_MS: String(lingerMs) });
  // "close", not only the exit: the runner's last lines may still be in the pipe when it exits.
  const [code] = await Promise.all([run.exited, once(run.child, "close")]);
  return { code, output: run.output(), ms: Date.now() - started };
}

const LEAKY = `
import { test } from "node:test";
import net from "node:net";
test("passes but leaves a timer and a connection behind", async () => {
  const server = net.createServer(() => undefined).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  server.unref();
  const socket = net.connect(server.address().port, "127.0.0.1");
  await new Promise((resolve) => socket.once("connect", resolve));
  setInterval(function forgottenPoll() {}, 600);
});
`;

test("a test file whose process outlives its tests fails, naming the timer and the connection that hold it", async () => {
  const run = await runFile("leaky.test.mjs", LEAKY, 500);
  assert.notEqual(run.code, 0, run.output);
  assert.match(run.output, /test-linger: .*leaky\.test\.mjs: every test ended 0\.5 s ago, but the process is still alive/);
  assert.match(run.output, /Active resources: .*TCPSocketWrap.*Timeout/);
  // Node 24 watches handles without tracking promises; on older Nodes only the types are named.
  if (NAMES_EACH) {
    assert.match(run.output, /timer, every 600 ms \(repeating\), forgottenPoll/);
    assert.match(run.output, /TCPWRAP to 127\.0\.0\.1:\d+/);
  }
  assert.ok(run.ms < 20_000, `ended after ${run.ms} ms, not left hanging`);
});

test("with CREDVEND_TEST_TRACE_HANDLES=1 each one comes with the stack that created it", async () => {
  const run = await runFile("leaky-traced.test.mjs", LEAKY, 500, { CREDVEND_TEST_TRACE_HANDLES: "1" });
  assert.notEqual(run.code, 0, run.output);
  if (NAMES_EACH) assert.match(run.output, /forgottenPoll[^\n]*\n\s+at [^\n]*leaky-traced\.test\.mjs:10/);
  else assert.match(run.output, /Active resources: .*Timeout/);
});

test("a file that cleans up, slowly, in its own after hook and leaves only unref'd handles passes untouched", async () => {
  const run = await runFile("clean.test.mjs", `
import { after, test } from "node:test";
test("fine", () => {
  setInterval(() => undefined, 100).unref();
});
after(async () => {
  await new Promise((resolve) => setTimeout(resolve, 300));
});
`, 3_000);
  assert.equal(run.code, 0, run.output);
  assert.doesNotMatch(run.output, /test-linger/);
  assert.ok(run.ms < 3_000, `exited after ${run.ms} ms, without waiting for the watchdog`);
});
