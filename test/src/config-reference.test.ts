// The README's settings reference is generated from the worker's schema and must equal it; unknown
// CREDVEND_* variables are reported at start with the closest valid name; a bad value's error says
// what a valid one looks like.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { SETTING_NAMES, SETTINGS_REFERENCE, settingsFromEnv, unknownSettings } from "@credvend/worker";
import { credvend, ROOT } from "./support/cli.js";

interface ReferenceScript {
  renderReference(): Promise<string>;
  START: string;
  END: string;
}

test("README's settings block equals the reference generated from the schema, one row per setting", async () => {
  const script = (await import(pathToFileURL(path.join(ROOT, "scripts/config-reference.mjs")).href)) as ReferenceScript;
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const block = readme.slice(readme.indexOf(script.START), readme.indexOf(script.END) + script.END.length);
  assert.equal(block, await script.renderReference(), "README.md is out of date with the settings schema: run node scripts/config-reference.mjs");
  assert.deepEqual(SETTINGS_REFERENCE.map((s) => s.name), SETTING_NAMES);
  for (const s of SETTINGS_REFERENCE) {
    assert.ok(s.meaning.length > 10 && s.valid.length > 3, `${s.name} is documented`);
    assert.ok(block.includes(`| \`${s.name}\` |`), `${s.name} is in the README`);
  }
  // Defaults in the reference are the schema's own.
  const defaults = settingsFromEnv({});
  assert.equal(SETTINGS_REFERENCE.find((s) => s.name === "CREDVEND_HTTP_PORT")?.default, String(defaults.httpPort));
  assert.equal(SETTINGS_REFERENCE.find((s) => s.name === "CREDVEND_MAX_IN_FLIGHT")?.default, String(defaults.maxInFlight));
});

test("unknown CREDVEND_* variables are named with the closest valid one; other components' variables are not", () => {
  assert.deepEqual(unknownSettings({ CREDVEND_MAX_INFLIGHT: "5", CREDVEND_TENANT: "acme", CREDVEND_HTTP_PORT: "1", PATH: "/bin" }), [{ name: "CREDVEND_MAX_INFLIGHT", closest: "CREDVEND_MAX_IN_FLIGHT" }]);
});

test("credvend worker warns about a misspelt setting at start; a bad value's error shows a valid one", async () => {
  const r = await credvend(["worker"], { CREDVEND_DRAIN_TIMEOT_MS: "100", CREDVEND_CONFIG: path.join(ROOT, "no-such.yaml"), AWS_REGION: "us-east-1" });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^credvend worker: warning: CREDVEND_DRAIN_TIMEOT_MS is not a credvend worker setting \(ignored\); did you mean CREDVEND_DRAIN_TIMEOUT_MS\?$/m);
  assert.throws(() => settingsFromEnv({ CREDVEND_HTTP_PORT: "http" }), /CREDVEND_HTTP_PORT="http": .*\(valid: a whole number from 0 to 65535\)/);
  assert.throws(() => settingsFromEnv({ CREDVEND_LOG_LEVEL: "loud" }), /\(valid: fatal, error, warn, info, debug, trace, silent\)/);
});
