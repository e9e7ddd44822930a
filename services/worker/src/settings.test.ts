import { test } from "node:test";
import assert from "node:assert/strict";
import { settingsFromEnv, SettingsError } from "./settings.js";

test("defaults apply and the result is frozen", () => {
  const s = settingsFromEnv({ CREDVEND_CONFIG: "x.yaml" });
  assert.equal(s.natsUrl, "nats://127.0.0.1:4222");
  assert.equal(s.replyKeyId, "alias/credvend-replies");
  assert.equal(s.maxInFlight, 256);
  assert.equal(s.vendorUsesRoleCredentials, false);
  assert.ok(Object.isFrozen(s));
});

test("errors name every bad variable and its value, and hide passwords", () => {
  assert.throws(() => settingsFromEnv({ REDIS_URL: "localhost:6379", CREDVEND_MAX_IN_FLIGHT: "lots", CREDVEND_VENDOR_ROLE_CREDENTIALS: "maybe", NATS_PASSWORD: "" }), (e: unknown) => {
    assert.ok(e instanceof SettingsError);
    assert.match(e.message, /REDIS_URL="localhost:6379": must start with redis:\/\//);
    assert.match(e.message, /CREDVEND_MAX_IN_FLIGHT="lots"/);
    assert.match(e.message, /CREDVEND_VENDOR_ROLE_CREDENTIALS="maybe"/);
    return true;
  });
  assert.throws(() => settingsFromEnv({ NATS_PASSWORD: "s3cret", CREDVEND_LOG_LEVEL: "loud" }), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.doesNotMatch(e.message, /s3cret/);
    return true;
  });
});

test("booleans and numbers are parsed", () => {
  const s = settingsFromEnv({ CREDVEND_VENDOR_ROLE_CREDENTIALS: "true", CREDVEND_MAX_IN_FLIGHT: "32", CREDVEND_DATA_KEY_CACHE_SECONDS: "0" });
  assert.equal(s.vendorUsesRoleCredentials, true);
  assert.equal(s.maxInFlight, 32);
  assert.equal(s.dataKeyCacheSeconds, 0);
});
