// A worker whose clock disagrees with Redis's: a claim's not-after is on Redis's clock (lua/idem-claim.lua
// compares it with Redis TIME), so the worker's own clock must not decide whether a claim is refused as stale.
// Against a private redis-server: one test pauses it.
import assert from "node:assert/strict";
import { after, before, test, type TestContext } from "node:test";
import { startRedisServer, uniqueName, uniqueRequestId, type RedisServerHandle } from "@credvend/testkit";
import type { Redis } from "./connection.js";
import { IdempotencyStore } from "./idempotency-store.js";
import { LimitedClaims } from "./limited-claims.js";
import { RateLimiter, type LimitGroup } from "./rate-limiter.js";
import { createRedis, waitReady } from "./redis-client.js";
import { RedisClockSkewError } from "./redis-clock.js";
import { redisWarnings } from "./redis-warnings.js";
import { isCredvendError } from "@credvend/protocol";

let server: RedisServerHandle;
let redis: Redis;

before(async () => {
  server = await startRedisServer();
  redis = createRedis(server.url, { name: "guard-clock-skew-test" });
  await waitReady(redis, 5000);
});
after(async () => {
  redis?.disconnect();
  await server?.stop();
});

const realNow = Date.now;

/** This worker's wall clock runs `skewMs` off Redis's (negative: behind) until the test ends. */
function skewWorkerClock(t: TestContext, skewMs: number): void {
  t.mock.method(Date, "now", () => realNow() + skewMs);
}

function scope(): { tenant: string; principal: string } {
  return { tenant: uniqueName("skew"), principal: uniqueName("p") };
}

// One request every 100 s: nothing refills during a test.
function oneRequest(who: { tenant: string; principal: string }): LimitGroup[] {
  return [{ hashTag: who.tenant, limits: [{ key: `${who.tenant}:principal:${who.principal}`, perSecond: 0.01, burst: 1 }] }];
}

for (const skewMs of [-1600, -60_000, -3_600_000, 60_000]) {
  test(`a worker clock ${Math.abs(skewMs)} ms ${skewMs < 0 ? "behind" : "ahead of"} Redis's: claims and limited claims are served`, async (t) => {
    skewWorkerClock(t, skewMs);
    const store = new IdempotencyStore(redis);
    const claims = new LimitedClaims(redis, store, new RateLimiter(redis));
    const who = scope();
    assert.equal((await store.claim(who, uniqueRequestId(), "fp")).state, "claimed");
    assert.equal((await claims.claim(who, uniqueRequestId(), "fp", oneRequest(who))).state, "claimed");
  });
}

test("a client that connected while the worker's clock was 5 s behind Redis's serves claims", async (t) => {
  skewWorkerClock(t, -5000);
  const client = createRedis(server.url, { name: "guard-clock-skew-late" });
  try {
    await waitReady(client, 5000);
    const store = new IdempotencyStore(client);
    assert.equal((await store.claim(scope(), uniqueRequestId(), "fp")).state, "claimed");
  } finally {
    client.disconnect();
  }
});

test("a worker clock 5 s behind Redis's is reported: once per connection in the log, and in redisWarnings while it lasts", async (t) => {
  skewWorkerClock(t, -5000);
  const events: { event: string; detail: Record<string, unknown> }[] = [];
  const client = createRedis(server.url, { name: "guard-clock-skew-report", logger: (event, detail) => events.push({ event, detail: detail as Record<string, unknown> }) });
  try {
    await waitReady(client, 5000);
    await new IdempotencyStore(client).claim(scope(), uniqueRequestId(), "fp");
    const skews = events.filter((e) => e.event === "redis.clock_skew");
    assert.equal(skews.length, 1);
    const offsetMs = Number(skews[0]?.detail.offsetMs);
    assert.ok(Math.abs(offsetMs - 5000) < 250, `offset ${offsetMs} ms: Redis is 5 s ahead`);
    assert.match(String(skews[0]?.detail.fix), /chrony|NTP/);
    const [warning, ...more] = redisWarnings(client);
    assert.deepEqual(more, []);
    assert.equal(warning?.kind, "clock-skew");
    assert.equal(warning?.address, `127.0.0.1:${server.port}`);
    assert.ok(warning?.kind === "clock-skew" && Math.abs(warning.offsetMs - 5000) < 250);
    t.mock.restoreAll();
    assert.deepEqual(redisWarnings(client), [], "the clocks agree again");
  } finally {
    client.disconnect();
  }
});

test("Redis's clock jumps ahead of the client's reading of it: the stale claim is read as clock skew, the clock read again, and the retry is served", async (t) => {
  const client = createRedis(server.url, { name: "guard-clock-jump" });
  try {
    await waitReady(client, 5000);
    const store = new IdempotencyStore(client);
    assert.equal((await store.claim(scope(), uniqueRequestId(), "fp")).state, "claimed", "the clock was read");
    // From now on this process's monotonic clock is 5 s behind where it was when Redis's clock was read.
    const realPerf = performance.now.bind(performance);
    t.mock.method(performance, "now", () => realPerf() - 5000);
    assert.equal((await store.claim(scope(), uniqueRequestId(), "fp")).state, "claimed");
  } finally {
    client.disconnect();
  }
});

test("Redis's clock keeps running ahead of every reading: the claim fails as clock skew with the measured offset, not as Redis unreachable, and claims nothing", async (t) => {
  const client = createRedis(server.url, { name: "guard-clock-runaway" });
  try {
    await waitReady(client, 5000);
    const store = new IdempotencyStore(client);
    const who = scope();
    const id = uniqueRequestId();
    assert.equal((await store.claim(scope(), uniqueRequestId(), "fp")).state, "claimed", "the clock was read");
    // Every read of this process's monotonic clock falls 5 s further behind: each reading of Redis's
    // clock is out of date by the time the claim is sent.
    const realPerf = performance.now.bind(performance);
    let lag = 0;
    t.mock.method(performance, "now", () => realPerf() - (lag += 5000));
    await assert.rejects(store.claim(who, id, "fp"), (err: unknown) => {
      assert.ok(isCredvendError(err), String(err));
      assert.equal(err.reason, "CV_ERR_REDIS_UNAVAILABLE");
      assert.ok(err.cause instanceof RedisClockSkewError, `cause ${String(err.cause)}`);
      assert.equal(err.cause.address, `127.0.0.1:${server.port}`);
      assert.ok((err.cause.correctionMs ?? 0) > 1000, `correction ${err.cause.correctionMs}`);
      assert.ok(err.cause.offsetMs !== undefined);
      return true;
    });
    t.mock.restoreAll();
    assert.equal((await store.claim(who, id, "fp")).state, "claimed", "the stale attempts claimed nothing");
  } finally {
    client.disconnect();
  }
});

test("a worker clock 1 min ahead of Redis's: a limited claim that reaches Redis after its caller gave up still changes nothing", async (t) => {
  skewWorkerClock(t, 60_000);
  const store = new IdempotencyStore(redis);
  const claims = new LimitedClaims(redis, store, new RateLimiter(redis));
  const who = scope();
  const limits = oneRequest(who);
  await server.pause();
  try {
    await assert.rejects(claims.claim(who, uniqueRequestId(), "fp", limits), (err: unknown) => (err as { reason?: string }).reason === "CV_ERR_REDIS_UNAVAILABLE");
    // Past the command timeout plus the late-command allowance, on Redis's clock: the queued claims are stale.
    await new Promise((r) => setTimeout(r, 1600));
  } finally {
    await server.resume();
  }
  await waitReady(redis, 5000);
  // Had a late claim run, it would have spent the one request the limit allows.
  assert.equal((await claims.claim(who, uniqueRequestId(), "fp", limits)).state, "claimed");
});
