import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { codeFromWire, codeToWire, ERROR_CODE_NAMES, REASONS } from "./codes.js";

const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

test("every reason is documented in the README with its code and retryability, and nothing else is", () => {
  const rows = new Map<string, string[]>();
  for (const line of readme.split("\n")) {
    const m = /^\| `(CV_ERR_[A-Z0-9_]+)` \| ([A-Z_]+) \| (yes|no) \|/.exec(line);
    if (m) rows.set(m[1] as string, [m[2] as string, m[3] as string]);
  }
  for (const [reason, spec] of Object.entries(REASONS)) {
    assert.deepEqual(rows.get(reason), [spec.code, spec.retryable ? "yes" : "no"], `README row for ${reason}`);
  }
  assert.deepEqual([...rows.keys()].filter((r) => !(r in REASONS)), [], "README documents reasons the registry lacks");
});

test("codes map to the wire enum and back", () => {
  for (const name of ERROR_CODE_NAMES) assert.equal(codeFromWire(codeToWire(name)), name);
  assert.equal(codeFromWire(0), "INTERNAL");
  assert.equal(codeFromWire(999), "INTERNAL");
});
