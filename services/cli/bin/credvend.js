#!/usr/bin/env node
// Entry point of the `credvend` command; the implementation is compiled to dist/ by `npm run build`.

// The project targets Node 20 (DESIGN.md); the AWS SDK's multi-line notice about its future Node
// support would otherwise precede every command's output and error line. An explicit setting wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
// Imported after the line above: static imports would load the SDK first. credential-process runs
// for every AWS CLI command, so it has a bundled entry point of its own (dist/bundle/, built by
// `npm run build`); without it, the ordinary modules do the same work more slowly.
const args = process.argv.slice(2);
// The worker's V8 heap is sized at start-up: it starts itself again with its own flags (worker-heap.ts).
if (args[0] === "worker") (await import("../dist/worker-heap.js")).restartWithWorkerHeap();
// V8's code cache for the bundle, in the user's private cache directory only (compile-cache.ts).
if (args[0] === "credential-process") await import("../dist/compile-cache.js").then((m) => m.enablePrivateCompileCache(), () => undefined);
const { main } = args[0] === "credential-process"
  ? await import("../dist/bundle/credential-process-main.js").then(
      (m) => ({ main: (argv) => m.main(argv.slice(1)) }),
      () => import("../dist/index.js"),
    )
  : await import("../dist/index.js");

const code = await main(args);
process.exitCode = code;
// A failure can leave a client reconnecting in the background (e.g. a worker that connected to
// NATS and Redis, then found no config): the error is already printed, so do not hang on it.
if (code !== 0) process.exit(code);
// After a success the process ends by itself; if something still holds the loop, end it anyway.
setTimeout(() => process.exit(code), 2000).unref();
