import { test } from "node:test";
import assert from "node:assert/strict";
import { redactUrls } from "./redact.js";

test("passwords and tokens in URLs are replaced, wherever the URL sits in the text", () => {
  const cases: [string, string][] = [
    ["redis://:s3cret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"],
    ["rediss://default:s3cret@cache.internal:6380", "rediss://default:***@cache.internal:6380"],
    ["nats://vendor:pa%2Fss@h1:4222,nats://vendor:other@h2:4222", "nats://vendor:***@h1:4222,nats://vendor:***@h2:4222"],
    ["nats://s3cr3t-token@nats.internal:4222", "nats://***@nats.internal:4222"],
    ["cannot reach Redis at redis://:p@ss/w0rd@host:1 (ECONNREFUSED)", "cannot reach Redis at redis://:***@host:1 (ECONNREFUSED)"],
    [`REDIS_URL="redis://u:pw@h": bad`, `REDIS_URL="redis://u:***@h": bad`],
    ["nats://127.0.0.1:4222 has no secret; mail me@example.com", "nats://127.0.0.1:4222 has no secret; mail me@example.com"],
  ];
  for (const [input, expected] of cases) assert.equal(redactUrls(input), expected, input);
});
