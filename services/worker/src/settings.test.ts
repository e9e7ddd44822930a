import { test } from "node:test";
import assert from "node:assert/strict";
import { settingsFromEnv, SettingsError, shownValue } from "./settings.js";

test("defaults apply and the result is frozen", () => {
  const s = settingsFromEnv({ CREDVEND_CONFIG: "x.yaml" });
  assert.equal(s.natsUrl, "nats://127.0.0.1:4222");
  assert.equal(s.replyKeyId, "alias/credvend-replies");
  assert.equal(s.maxInFlight, 64);
  assert.equal(s.vendorUsesRoleCredentials, false);
  assert.ok(Object.isFrozen(s));
});

test("errors name every bad variable and its value", () => {
  assert.throws(() => settingsFromEnv({ REDIS_URL: "localhost:6379", CREDVEND_MAX_IN_FLIGHT: "lots", CREDVEND_VENDOR_ROLE_CREDENTIALS: "maybe", NATS_PASSWORD: "" }), (e: unknown) => {
    assert.ok(e instanceof SettingsError);
    assert.match(e.message, /REDIS_URL="localhost:6379": must start with redis:\/\//);
    assert.match(e.message, /CREDVEND_MAX_IN_FLIGHT="lots"/);
    assert.match(e.message, /CREDVEND_VENDOR_ROLE_CREDENTIALS="maybe"/);
    return true;
  });
});

test("errors never show a password: not from a URL, not from a malformed URL", () => {
  // Each value is refused (wrong scheme), so the error must show it, without its password.
  for (const [value, shown] of [
    ["http://:s3cretpw@cache:6379", `REDIS_URL="http://:***@cache:6379"`],
    ["rediss//default:s3cretpw@cache:6379", `REDIS_URL="***@cache:6379"`],
    ["redis:/:s3cret@pw@cache", `REDIS_URL="***@cache"`],
  ] as const) {
    assert.throws(() => settingsFromEnv({ REDIS_URL: value }), (e: unknown) => {
      assert.ok(e instanceof SettingsError);
      assert.doesNotMatch(e.message, /s3cret/);
      assert.ok(e.message.includes(shown), e.message);
      return true;
    });
  }
});

test("a refused secret variable is shown as <hidden>, never its value", () => {
  assert.equal(shownValue("NATS_PASSWORD", "s3cretpw"), "<hidden>");
  assert.equal(shownValue("CREDVEND_ADMIN_TOKEN", "s3cretpw"), "<hidden>");
  assert.equal(shownValue("CREDVEND_LOG_LEVEL", "loud"), `"loud"`);
});

test("booleans and numbers are parsed", () => {
  const s = settingsFromEnv({ CREDVEND_VENDOR_ROLE_CREDENTIALS: "true", CREDVEND_MAX_IN_FLIGHT: "32", CREDVEND_DATA_KEY_CACHE_SECONDS: "0" });
  assert.equal(s.vendorUsesRoleCredentials, true);
  assert.equal(s.maxInFlight, 32);
  assert.equal(s.dataKeyCacheSeconds, 0);
});
