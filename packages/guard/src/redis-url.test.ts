import assert from "node:assert/strict";
import { test } from "node:test";
import { isClusterUrl, isSentinelUrl, parseClusterUrl, parseSentinelUrl } from "./redis-url.js";

test("cluster URLs: seeds, user and password (percent-decoded), TLS by scheme", () => {
  assert.deepEqual(parseClusterUrl("redis+cluster://a.example:7000,10.0.0.2:7001,[::1]:7002"), {
    nodes: [{ host: "a.example", port: 7000 }, { host: "10.0.0.2", port: 7001 }, { host: "::1", port: 7002 }],
    username: undefined, password: undefined, tls: false,
  });
  assert.deepEqual(parseClusterUrl("rediss+cluster://svc:p%40ss%3Aword@h:6379"), {
    nodes: [{ host: "h", port: 6379 }], username: "svc", password: "p@ss:word", tls: true,
  });
  assert.equal(parseClusterUrl("redis+cluster://:pw@h:1").password, "pw");
  assert.equal(isClusterUrl("redis://h:6379"), false);
  assert.equal(isClusterUrl("rediss+cluster://h:6379"), true);
});

test("a malformed cluster URL says what a valid one looks like, without echoing the password", () => {
  for (const url of ["redis+cluster://:s3cret@h", "redis+cluster://:s3cret@h:0", "redis+cluster://:s3cret@h:99999", "redis+cluster://", "redis+cluster://:s3cret@h:1/db"]) {
    assert.throws(() => parseClusterUrl(url), (e: unknown) => {
      assert.ok(e instanceof RangeError, url);
      assert.match(e.message, /redis\+cluster:\/\//);
      assert.doesNotMatch(e.message, /s3cret/);
      return true;
    });
  }
});

test("sentinel URLs: the Sentinels, the primary's name, the data nodes' user and password, TLS by scheme", () => {
  assert.deepEqual(parseSentinelUrl("redis+sentinel://:p%40ss@s1.example:26379,10.0.0.2:26380/mymaster"), {
    nodes: [{ host: "s1.example", port: 26379 }, { host: "10.0.0.2", port: 26380 }],
    username: undefined, password: "p@ss", tls: false, masterName: "mymaster",
  });
  assert.equal(parseSentinelUrl("rediss+sentinel://h:1/m").tls, true);
  assert.equal(isSentinelUrl("redis+sentinel://h:1/m"), true);
  assert.equal(isSentinelUrl("redis+cluster://h:1"), false);
  for (const url of ["redis+sentinel://:s3cret@h:26379", "redis+sentinel://:s3cret@h:26379/", "redis+sentinel://:s3cret@h/m", "redis+sentinel://:s3cret@h:1/m/x"]) {
    assert.throws(() => parseSentinelUrl(url), (e: unknown) => {
      assert.ok(e instanceof RangeError, url);
      assert.match(e.message, /redis\+sentinel:\/\/.*\/(PRIMARY-NAME|mymaster)/);
      assert.doesNotMatch(e.message, /s3cret/);
      return true;
    });
  }
});
