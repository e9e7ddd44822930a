// Preloaded into every test file's process by scripts/test.mjs (`node --test --import`). A test
// file whose tests have all ended but whose process stays alive (a timer or socket someone forgot)
// would stall the whole run, in CI until its time limit. Here it fails instead, within
// LINGER_MS of its last test, and names what keeps it alive: each referenced timer with its
// interval and callback, each socket with its peer. CREDVEND_TEST_TRACE_HANDLES=1 adds the stack
// that created each one (slower: a stack per timer).
import { createHook } from "node:async_hooks";
import { after } from "node:test";

// Long enough for the slowest file's own after hooks (stopping clusters of servers, each with a
// 5 s grace), which run after this one's. CREDVEND_TEST_LINGER_MS changes it (the watchdog's own test).
const LINGER_MS = Number(process.env.CREDVEND_TEST_LINGER_MS ?? 60_000);
const STACKS = process.env.CREDVEND_TEST_TRACE_HANDLES === "1";
const TRACKED = new Set(["Timeout", "Immediate", "TCPWRAP", "TCPSERVERWRAP", "PIPEWRAP", "PIPESERVERWRAP", "PROCESSWRAP", "UDPWRAP", "FSEVENTWRAP", "SIGNALWRAP"]);

// Only in a test file's process (the runner sets NODE_TEST_CONTEXT there), not in the runner itself.
if (process.env.NODE_TEST_CONTEXT !== undefined) {
  const live = new Map();
  // trackPromises: false (Node 24) keeps promises at full speed; this only watches handles. Older
  // Nodes would track every promise too, so there the report names resource types only.
  const watching = Number(process.versions.node.split(".")[0]) >= 24;
  if (watching) createHook({
    trackPromises: false,
    init(id, type, _trigger, resource) {
      if (!TRACKED.has(type)) return;
      live.set(id, { type, resource, stack: STACKS ? creationStack() : undefined });
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();

  after(() => {
    setTimeout(() => {
      const held = [...live.values()].map(describe).filter((line) => line !== undefined);
      const file = process.argv[1] ?? "(unknown file)";
      process.stderr.write(
        `test-linger: ${file}: every test ended ${LINGER_MS / 1000} s ago, but the process is still alive.\n` +
          `  Active resources: ${process.getActiveResourcesInfo().join(", ")}\n` +
          held.map((line) => `  - ${line}`).join("\n") +
          (!watching ? "\n  (on Node 24 and later each one is named)\n" : STACKS ? "\n" : "\n  (CREDVEND_TEST_TRACE_HANDLES=1 shows where each was created)\n"),
      );
      process.exit(1);
    }, LINGER_MS).unref();
  });
}

function creationStack() {
  // Past the message, this function and the hook's init.
  const frames = (new Error().stack ?? "").split("\n").slice(3);
  return frames.filter((f) => !/node:internal\/(async_hooks|timers)|new Timeout|at (setTimeout|setInterval|setImmediate) \(node:timers/.test(f)).slice(0, 12).join("\n");
}

/** One line per resource that keeps the event loop alive; undefined for one that does not. */
function describe({ type, resource, stack }) {
  const where = stack === undefined ? "" : `\n${stack.replace(/^/gm, "      ")}`;
  if (type === "Timeout") {
    if (typeof resource.hasRef === "function" && !resource.hasRef()) return undefined;
    if (resource._destroyed === true) return undefined;
    const callback = resource._onTimeout;
    const source = typeof callback === "function" ? `${callback.name || "(anonymous)"}: ${String(callback).replace(/\s+/g, " ").slice(0, 160)}` : String(callback);
    const when = resource._repeat === null ? `once, after ${resource._idleTimeout} ms` : `every ${resource._idleTimeout} ms (repeating)`;
    return `timer, ${when}, ${source}${where}`;
  }
  if (typeof resource?.hasRef === "function" && !resource.hasRef()) return undefined;
  // A TCP handle can say whom it is connected to; a listening or closed one has no peer.
  const peer = {};
  if (typeof resource?.getpeername === "function") resource.getpeername(peer);
  return `${type}${peer.address === undefined ? "" : ` to ${peer.address}:${peer.port}`}${where}`;
}
