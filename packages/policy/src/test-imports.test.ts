// A test file imported by another registers its tests twice (the injection tests once ran twice,
// imported by the property test). Shared cases live in src/testing/, which registers nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

test("no test file imports another test file", () => {
  const dir = dirname(fileURLToPath(import.meta.url));
  const offenders = readdirSync(dir)
    .filter((f) => f.endsWith(".test.js"))
    .flatMap((f) => [...readFileSync(`${dir}/${f}`, "utf8").matchAll(/from\s+["']([^"']+\.test\.js)["']/g)].map((m) => `${f} imports ${m[1]}`));
  assert.deepEqual(offenders, []);
});
