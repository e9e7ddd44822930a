import { test } from "node:test";
import assert from "node:assert/strict";
import { settingsFromEnv, SettingsError } from "./settings.js";

test("REDIS_URL takes a Redis Cluster as redis+cluster:// (or rediss+cluster://) with its seed nodes; WAIT replicas default to 0", () => {
  const s = settingsFromEnv({ REDIS_URL: "rediss+cluster://:pw@10.0.0.1:6379,10.0.0.2:6380", CREDVEND_REDIS_WAIT_REPLICAS: "1" });
  assert.equal(s.redisUrl, "rediss+cluster://:pw@10.0.0.1:6379,10.0.0.2:6380");
  assert.equal(s.redisWaitReplicas, 1);
  assert.equal(settingsFromEnv({}).redisWaitReplicas, 0);
});

test("a cluster URL whose node list is not host:port is refused at start with what to write, and no password", () => {
  assert.throws(() => settingsFromEnv({ REDIS_URL: "redis+cluster://:s3cretpw@10.0.0.1,10.0.0.2:6379" }), (e: unknown) => {
    assert.ok(e instanceof SettingsError);
    assert.match(e.message, /REDIS_URL=.*node "10\.0\.0\.1" is not host:port, e\.g\. redis\+cluster:\/\/:password@10\.0\.0\.1:6379/);
    assert.doesNotMatch(e.message, /s3cret/);
    return true;
  });
});
