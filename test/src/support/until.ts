// Waiting for something the system does on its own (a reload, a reconnect, a log line), with a
// bound: the test fails naming what it waited for instead of hanging.
import assert from "node:assert/strict";

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 8000, everyMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
