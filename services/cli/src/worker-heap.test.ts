// Which heap flags `credvend worker` starts itself with, and when an operator's own choice stands.
import { test } from "node:test";
import assert from "node:assert/strict";
import { WORKER_HEAP_FLAGS, workerHeapFlags } from "./worker-heap.js";

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
