// `credvend worker` sizes its own V8 heap: it starts itself again, as the same process, with
// WORKER_HEAP_FLAGS (services/cli/src/worker-heap.ts), unless its operator sized the heap. Node
// before 22.15 has no process.execve: there the worker runs on with V8's own sizing.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { redisUrl, startNatsServer, uniqueName, type NatsServerHandle } from "@credvend/testkit";
import { CLI_BIN, spawnWatched, WORKER_HEAP_FLAGS } from "./support/cli.js";
import { demoConfig } from "./support/config.js";
import { REGION } from "./support/harness.js";

const dir = mkdtempSync(path.join(tmpdir(), "credvend-worker-heap-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const canReplaceItself = typeof (process as unknown as { execve?: unknown }).execve === "function";

/** Starts `node <bin> worker`, waits until it is ready, and returns its command line as the kernel shows it; then stops it with SIGTERM. */
async function workerCommandLine(nats: NatsServerHandle, nodeOptions: string | undefined): Promise<{ argv: string[]; code: number }> {
  const config = path.join(dir, `${uniqueName("cfg")}.yaml`);
  writeFileSync(config, demoConfig({ tenants: [uniqueName("heap")] }));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|NATS_|REDIS_|CREDVEND_|AWS_|NODE_OPTIONS$)/i.test(k)) env[k] = v;
  Object.assign(env, {
    NATS_URL: nats.url, REDIS_URL: await redisUrl(), CREDVEND_CONFIG: config, AWS_REGION: REGION, CREDVEND_HTTP_PORT: "0",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }),
  });
  const worker = spawnWatched(process.execPath, [CLI_BIN, "worker"], env);
  try {
    await worker.waitFor(/worker ready/);
    const argv = readFileSync(`/proc/${worker.child.pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    worker.child.kill("SIGTERM");
    return { argv, code: await worker.exited };
  } finally {
    worker.kill();
  }
}

test("credvend worker runs with its heap flags, as the process that was started, and still stops cleanly on SIGTERM", async () => {
  const nats = await startNatsServer();
  try {
    const { argv, code } = await workerCommandLine(nats, undefined);
    const flags = argv.slice(1, argv.indexOf(CLI_BIN));
    assert.deepEqual(flags, canReplaceItself ? [...WORKER_HEAP_FLAGS] : [], `command line: ${argv.join(" ")}`);
    assert.deepEqual(argv.slice(argv.indexOf(CLI_BIN)), [CLI_BIN, "worker"]);
    assert.equal(code, 0, "a drained worker exits 0");
  } finally {
    await nats.stop();
  }
});

test("an operator's heap size in NODE_OPTIONS stands: the worker adds no flags and does not start again", async () => {
  const nats = await startNatsServer();
  try {
    const { argv, code } = await workerCommandLine(nats, "--max-semi-space-size=0");
    assert.deepEqual(argv, [process.execPath, CLI_BIN, "worker"]);
    assert.equal(code, 0);
  } finally {
    await nats.stop();
  }
});

test("this Node accepts the worker's heap flags, and they bound the young generation", () => {
  // 400,000 objects always alive while millions are made: V8 grows the young generation as far as
  // it may (on Node 24 on a large host, without the flags, to 128 MiB). With 16 MiB semi-spaces
  // Node 24 reports 35 to 43 MiB (a loaded machine at the top): half of 128 is the bound.
  const script = `const v8 = require("node:v8"); const keep = new Array(400000); let max = 0;
for (let i = 0; i < 6e6; i++) { keep[i % 400000] = { i, s: "x" + i }; if (i % 100000 === 0) max = Math.max(max, v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size); }
process.stdout.write(String(max));`;
  const newSpace = Number(execFileSync(process.execPath, [...WORKER_HEAP_FLAGS, "-e", script], { encoding: "utf8" }));
  assert.ok(newSpace > 0 && newSpace <= 64 * 1024 * 1024, `new space grew to ${newSpace} bytes`);
});
