// Which heap flags `credvend worker` starts itself with, and when an operator's own choice stands.
import { test } from "node:test";
import assert from "node:assert/strict";
import { restartWithWorkerHeap, WORKER_HEAP_FLAGS, workerHeapFlags, type RestartableProcess } from "./worker-heap.js";

test("without heap flags of its own, the worker gets a bounded young generation and a slower-growing old one", () => {
  assert.deepEqual(workerHeapFlags([], undefined), ["--max-semi-space-size=16", "--heap-growing-percent=50"]);
  assert.deepEqual(workerHeapFlags(["--import", "/x/watchdog.mjs", "--enable-source-maps"], "--trace-warnings"), [...WORKER_HEAP_FLAGS]);
});

test("heap sizes given on the node command line or in NODE_OPTIONS win, in either spelling, with or without a value", () => {
  for (const flag of [
    "--max-semi-space-size=32", "--max_semi_space_size=32", "--max-semi-space-size", "--min-semi-space-size=4",
    "--semi-space-growth-factor=1", "--max-old-space-size=512", "--max-heap-size=1024", "--heap-growing-percent=100",
  ]) {
    assert.deepEqual(workerHeapFlags([flag], undefined), [], `${flag} on the command line`);
    assert.deepEqual(workerHeapFlags([], `--trace-warnings ${flag}`), [], `${flag} in NODE_OPTIONS`);
  }
  // V8's own sizing, chosen explicitly.
  assert.deepEqual(workerHeapFlags([], "--max-semi-space-size=0"), []);
});

test("flags that only look alike do not count as a heap size", () => {
  assert.deepEqual(workerHeapFlags(["--max-semi-space-sizes=4", "--trace-gc"], "--max-old-space-size-percentage-x"), [...WORKER_HEAP_FLAGS]);
});

const aProcess = (over: Partial<RestartableProcess> = {}): RestartableProcess => ({
  execArgv: ["--enable-source-maps"], argv: ["/usr/bin/node", "/opt/credvend/bin/credvend.js", "worker"], execPath: "/usr/bin/node",
  env: { PATH: "/usr/bin" }, platform: "linux", ...over,
});

test("the restart replaces the process with node, the heap flags, its own node flags and its arguments, in that order", () => {
  const calls: [string, string[]][] = [];
  restartWithWorkerHeap(aProcess({ execve: (file, args) => { calls.push([file, args]); } }), () => assert.fail("no warning"));
  assert.deepEqual(calls, [["/usr/bin/node", ["/usr/bin/node", ...WORKER_HEAP_FLAGS, "--enable-source-maps", "/opt/credvend/bin/credvend.js", "worker"]]]);
});

test("a restart that fails leaves the worker running on V8's sizing, with one line that says so", () => {
  const lines: string[] = [];
  restartWithWorkerHeap(aProcess({ execve: () => { throw new Error("EPERM: operation not permitted"); } }), (line) => lines.push(line));
  assert.equal(lines.length, 1);
  assert.match(lines[0] ?? "", /^credvend worker: could not start again with --max-semi-space-size=16 --heap-growing-percent=50 \(EPERM: operation not permitted\); running with V8's own heap sizing\n$/);
});

test("without process.execve, on Windows, or with the operator's heap flags, nothing is replaced", () => {
  let replaced = 0;
  const execve = (): void => { replaced++; };
  restartWithWorkerHeap(aProcess({}), () => assert.fail("no warning"));
  restartWithWorkerHeap(aProcess({ execve, platform: "win32" }), () => assert.fail("no warning"));
  restartWithWorkerHeap(aProcess({ execve, env: { NODE_OPTIONS: "--max-old-space-size=512" } }), () => assert.fail("no warning"));
  assert.equal(replaced, 0);
});
