// The audit settings (the rest of the settings are tested in settings.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { settingsFromEnv, SettingsError } from "./settings.js";

test("audit is required by default: credentials wait for the stream's ack", () => {
  const d = settingsFromEnv({});
  assert.deepEqual([d.auditMode, d.auditTimeoutMs, d.auditMaxAgeHours, d.auditDuplicateWindowMs], ["required", 2000, 2160, 120_000]);
  assert.equal(settingsFromEnv({ CREDVEND_AUDIT: "async" }).auditMode, "async");
  // Refusals are aggregated over 10 s windows by default; 0 turns that off.
  assert.equal(d.auditRefusalWindowMs, 10_000);
  assert.equal(settingsFromEnv({ CREDVEND_AUDIT_REFUSAL_WINDOW_MS: "0" }).auditRefusalWindowMs, 0);
});

test("a bad audit setting is named with its value and what it may be", () => {
  assert.throws(() => settingsFromEnv({ CREDVEND_AUDIT: "yes", CREDVEND_AUDIT_TIMEOUT_MS: "5" }), (e: unknown) => {
    assert.ok(e instanceof SettingsError);
    assert.match(e.message, /CREDVEND_AUDIT="yes": must be required \(credentials wait for the audit write\), async or off/);
    assert.match(e.message, /CREDVEND_AUDIT_TIMEOUT_MS="5"/);
    return true;
  });
});
