// A server that fails during startup is reported with its own last words, also when they reach
// us after its exit does (a loaded machine reads the pipe late). Launchers decide from that
// output whether to retry (a port another process took) or to fail.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SupervisedChild } from "./child.js";
import { ServerStartError } from "./errors.js";
import { waitForLine } from "./ready.js";

test("a server's output that arrives after its exit is seen is still in the startup error", async () => {
  // The server exits at once; a process it left behind writes the reason 300 ms later, then ends.
  const child = new SupervisedChild("late-words", "/bin/sh", ["-c", "(sleep 0.3; echo 'bind: address already in use') & exit 1"]);
  await assert.rejects(waitForLine(child, /never printed/, 5000), (err: unknown) => {
    assert.ok(err instanceof ServerStartError);
    assert.match(err.message, /exited with code 1 during startup/);
    assert.match(err.output, /bind: address already in use/);
    return true;
  });
});
