// Each command loads only what it needs: a module-resolution hook records every module the real
// `credvend` process loads, so `--help` and `templates lint` are shown not to pull in the worker,
// the AWS SDK, NATS or Redis (which made them take a second or more to start).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const BIN = fileURLToPath(new URL("../bin/credvend.js", import.meta.url));
const EXAMPLE = fileURLToPath(new URL("../examples/credvend.yaml", import.meta.url));

function loadedBy(args: readonly string[]): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-lazy-"));
  try {
    const log = path.join(dir, "loaded.txt");
    writeFileSync(log, "");
    writeFileSync(path.join(dir, "hooks.mjs"), `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, result.url + "\\n");
  return result;
}
`);
    writeFileSync(path.join(dir, "register.mjs"), `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(path.join(dir, "hooks.mjs")).href)});\n`);
    execFileSync(process.execPath, ["--import", pathToFileURL(path.join(dir, "register.mjs")).href, BIN, ...args], { encoding: "utf8" });
    return readFileSync(log, "utf8").split("\n").filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const HEAVY = [/\/services\/worker\//, /\/services\/aws-local\//, /\/node_modules\/@aws-sdk\//, /\/node_modules\/nats\//, /\/node_modules\/ioredis\//];

test("credvend --help loads none of the packages", () => {
  const loaded = loadedBy(["--help"]);
  assert.ok(loaded.some((u) => u.endsWith("/services/cli/dist/index.js")), "the hook sees the CLI's modules");
  assert.deepEqual(loaded.filter((u) => /\/node_modules\/|\/packages\/|\/services\/(?!cli\/)/.test(u)), []);
});

test("credvend templates lint loads the policy package, not the worker, AWS SDK, NATS or Redis", () => {
  const loaded = loadedBy(["templates", "lint", EXAMPLE]);
  assert.ok(loaded.some((u) => u.includes("/packages/policy/")), "lint needs the policy package");
  for (const heavy of HEAVY) assert.deepEqual(loaded.filter((u) => heavy.test(u)), [], `lint loaded ${heavy}`);
});
