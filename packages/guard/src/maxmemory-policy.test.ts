// A Redis whose maxmemory-policy may evict keys (ElastiCache's default is volatile-lru): idempotency
// records have TTLs and can be evicted while the tenant epoch (no TTL) stays, so an evicted request
// id could be issued again and no restart check notices. The guard says so at each connection.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { redisCommand, startRedisServer, type RedisServerHandle } from "@credvend/testkit";
import type { Redis } from "./connection.js";
import { createRedis, guardEventLevel, waitReady } from "./redis-client.js";
import { redisWarnings } from "./redis-warnings.js";

let evicting: RedisServerHandle;

before(async () => {
  evicting = await startRedisServer({ args: ["--maxmemory", "100mb", "--maxmemory-policy", "volatile-lru"] });
});
after(async () => {
  await evicting?.stop();
});

interface LoggedEvent {
  event: string;
  detail: Record<string, unknown>;
}

function connect(url: string, events: LoggedEvent[]): Redis {
  return createRedis(url, { name: "guard-maxmemory-test", logger: (event, detail) => events.push({ event, detail: detail as Record<string, unknown> }) });
}

async function until(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const policyEvents = (events: readonly LoggedEvent[]): LoggedEvent[] => events.filter((e) => e.event === "redis.maxmemory_policy");

test("maxmemory-policy volatile-lru: one error event per connection naming the policy and what to set", async () => {
  const events: LoggedEvent[] = [];
  const redis = connect(evicting.url, events);
  try {
    await waitReady(redis, 5000);
    await until(() => policyEvents(events).length === 1, "a maxmemory_policy event");
    const [first] = policyEvents(events);
    assert.equal(first?.detail.policy, "volatile-lru");
    assert.equal(first?.detail.address, `127.0.0.1:${evicting.port}`);
    assert.match(String(first?.detail.fix), /maxmemory-policy noeviction/);
    assert.equal(guardEventLevel("redis.maxmemory_policy"), "error");
    const warnings = redisWarnings(redis);
    assert.deepEqual(warnings.map((w) => [w.kind, w.address, w.kind === "maxmemory-policy" ? w.policy : ""]), [["maxmemory-policy", `127.0.0.1:${evicting.port}`, "volatile-lru"]]);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(policyEvents(events).length, 1, "once per connection");

    // A new connection (Redis restarted with the same settings) says it again, once.
    await evicting.stopOnly();
    await evicting.startAgain();
    await waitReady(redis, 5000);
    await until(() => policyEvents(events).length === 2, "a second maxmemory_policy event after reconnecting");
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(policyEvents(events).length, 2);

    // Fixed on the server: the next connection finds nothing to say.
    await redisCommand(evicting.port, ["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    redis.disconnect(true);
    await waitReady(redis, 5000);
    await until(() => redisWarnings(redis).length === 0, "no warning once the policy is noeviction");
    assert.equal(policyEvents(events).length, 2);
  } finally {
    redis.disconnect();
  }
});

test("maxmemory-policy noeviction: no event", async () => {
  const fine = await startRedisServer({ args: ["--maxmemory", "100mb", "--maxmemory-policy", "noeviction"] });
  const events: LoggedEvent[] = [];
  const redis = connect(fine.url, events);
  try {
    await waitReady(redis, 5000);
    await redisCommand(fine.port, ["PING"]);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(policyEvents(events), []);
    assert.deepEqual(redisWarnings(redis), []);
  } finally {
    redis.disconnect();
    await fine.stop();
  }
});
