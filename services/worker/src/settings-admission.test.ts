// The admission settings (the rest of the settings are tested in settings.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { settingsFromEnv, SettingsError } from "./settings.js";

test("admission bounds and the refusal TTL have defaults and are parsed", () => {
  const d = settingsFromEnv({});
  assert.deepEqual(
    [d.maxQueuedBytes, d.principalMaxInFlight, d.principalMaxQueued, d.principalMaxWaiting, d.tenantMaxInFlight, d.tenantMaxQueued, d.overloadRetryAfterMs, d.refusalTtlMs],
    [16 * 1024 * 1024, 32, 128, 1024, 128, 1024, 200, 10_000],
  );
  const s = settingsFromEnv({ CREDVEND_PRINCIPAL_MAX_IN_FLIGHT: "4", CREDVEND_REFUSAL_TTL_MS: "5000", CREDVEND_MAX_QUEUED_BYTES: "1048576" });
  assert.deepEqual([s.principalMaxInFlight, s.refusalTtlMs, s.maxQueuedBytes], [4, 5000, 1_048_576]);
});

test("a bad admission setting is named with its value", () => {
  assert.throws(() => settingsFromEnv({ CREDVEND_PRINCIPAL_MAX_IN_FLIGHT: "0", CREDVEND_REFUSAL_TTL_MS: "86400000" }), (e: unknown) => {
    assert.ok(e instanceof SettingsError);
    assert.match(e.message, /CREDVEND_PRINCIPAL_MAX_IN_FLIGHT="0"/);
    assert.match(e.message, /CREDVEND_REFUSAL_TTL_MS="86400000"/);
    return true;
  });
});
