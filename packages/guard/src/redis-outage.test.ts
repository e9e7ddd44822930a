import assert from "node:assert/strict";
import { inspect } from "node:util";
import { after, before, test } from "node:test";
import type { Redis } from "./connection.js";
import { isCredvendError } from "@credvend/protocol";
import { freePort, redisCommand, startRedisServer, uniqueName, uniqueRequestId, type RedisServerHandle } from "@credvend/testkit";
import { IdempotencyStore } from "./idempotency-store.js";
import { RateLimiter } from "./rate-limiter.js";
import { createRedis, waitReady } from "./redis-client.js";

// Its own redis-server: this file stops and restarts it.
let server: RedisServerHandle;
let redis: Redis;
const events: string[] = [];

before(async () => {
  server = await startRedisServer();
  redis = createRedis(server.url, { name: "guard-outage-test", logger: (event, detail) => events.push(`${event} ${JSON.stringify(detail)}`) });
  await waitReady(redis, 5000);
});
after(async () => {
  redis.disconnect();
  await server.stop();
});

function isRedisUnavailable(err: unknown): boolean {
  assert.ok(isCredvendError(err), `expected a CredvendError, got ${String(err)}`);
  assert.equal(err.reason, "CV_ERR_REDIS_UNAVAILABLE");
  assert.equal(err.code, "UNAVAILABLE");
  assert.equal(err.retryable, true);
  assert.ok((err.retryAfterMs ?? 0) > 0);
  assert.match(err.message, new RegExp(`Redis at 127\\.0\\.0\\.1:${server.port} is unreachable`));
  return true;
}

test("Redis down: claim and check fail fast with CV_ERR_REDIS_UNAVAILABLE; the same client recovers after a restart", async () => {
  const store = new IdempotencyStore(redis);
  const limiter = new RateLimiter(redis);
  const who = { tenant: uniqueName("outage"), principal: "p" };
  assert.equal((await store.claim(who, uniqueRequestId(), "fp")).state, "claimed");

  await server.stop();
  for (const operation of [
    () => store.claim(who, uniqueRequestId(), "fp"),
    () => limiter.check(who.tenant, [{ key: "k", perSecond: 1, burst: 1 }]),
    () => store.complete(who, uniqueRequestId(), "t", new Uint8Array([1])),
  ]) {
    const started = Date.now();
    await assert.rejects(operation(), isRedisUnavailable);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  }

  await server.restart();
  await waitReady(redis, 5000);
  assert.equal((await store.claim(who, uniqueRequestId(), "fp")).state, "claimed", "same client, no re-creation");
  assert.equal((await limiter.check(who.tenant, [{ key: "k", perSecond: 1, burst: 1 }])).allowed, true, "scripts reloaded after NOSCRIPT");
  const names = events.map((e) => e.split(" ")[0]);
  assert.deepEqual(names.filter((n) => n !== "redis.error"), ["redis.ready", "redis.disconnected", "redis.ready"], "one line per state change");
  assert.ok(names.filter((n) => n === "redis.error").length <= 1, "reconnect errors are not logged one by one");
});

test("a hung Redis (connected, silent) fails within the command timeout; the client recovers", async () => {
  const store = new IdempotencyStore(redis);
  const who = { tenant: uniqueName("hung"), principal: "p" };
  await server.pause();
  try {
    const started = Date.now();
    await assert.rejects(store.claim(who, uniqueRequestId(), "fp"), (err: unknown) => {
      assert.ok(isCredvendError(err));
      assert.equal(err.reason, "CV_ERR_REDIS_UNAVAILABLE");
      return true;
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  } finally {
    await server.resume();
  }
  await waitReady(redis, 5000);
  assert.equal((await store.claim(who, uniqueRequestId(), "fp")).state, "claimed");
});

test("waitReady gives up with CV_ERR_REDIS_UNAVAILABLE when nothing listens", async () => {
  const port = await freePort();
  const nowhere = createRedis(`redis://127.0.0.1:${port}`);
  try {
    const started = Date.now();
    await assert.rejects(waitReady(nowhere, 300), (err: unknown) => {
      assert.ok(isCredvendError(err));
      assert.equal(err.reason, "CV_ERR_REDIS_UNAVAILABLE");
      assert.match(err.message, /not ready within 300 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 1000);
  } finally {
    nowhere.disconnect();
  }
});

test("the password in the URL never reaches log events or errors", async () => {
  const secret = "s3cret-pa55word";
  const guarded = await startRedisServer({ args: ["--requirepass", "the-right-one"] });
  const logged: string[] = [];
  const client = createRedis(`redis://default:${secret}@127.0.0.1:${guarded.port}`, { logger: (event, detail) => logged.push(`${event} ${JSON.stringify(detail)}`) });
  try {
    const failure = await waitReady(client, 500).then(() => undefined, (err: unknown) => err);
    assert.ok(isCredvendError(failure), "a wrong password never gets ready");
    assert.ok(logged.some((line) => line.startsWith("redis.error")), "the auth failure was logged");
    for (const text of [...logged, inspect(failure, { depth: 8 })]) assert.ok(!text.includes(secret), `leaked in: ${text}`);
  } finally {
    client.disconnect();
    await guarded.stop();
  }
});

test("a claim that reaches Redis after its caller gave up (paused, then resumed) leaves no orphan: the retry claims at once", async () => {
  const store = new IdempotencyStore(redis, { leaseMs: 30_000 });
  const who = { tenant: uniqueName("late"), principal: "p" };
  const id = uniqueRequestId();
  await server.pause();
  try {
    await assert.rejects(store.claim(who, id, "fp"), isRedisUnavailable);
    // Past the command timeout plus the late-command allowance: the queued commands are stale.
    await new Promise((r) => setTimeout(r, 1600));
  } finally {
    await server.resume();
  }
  await waitReady(redis, 5000);
  // Without the not-after check the late claim would hold the id for the whole 30 s lease.
  assert.equal((await store.claim(who, id, "fp")).state, "claimed");
});

test("Redis restarted empty: what may have been issued before is forgotten; a request sent after the restart is claimed, though no epoch was written yet", async () => {
  const store = new IdempotencyStore(redis);
  const who = { tenant: uniqueName("epoch"), principal: "p" };
  const issued = uniqueRequestId();
  const sentBefore = Date.now();
  await store.complete(who, issued, claimed(await store.claim(who, issued, "fp", { clientTimeMs: sentBefore })), new Uint8Array([1]));
  const beforeLoss = await store.epoch(who.tenant);
  await server.stopOnly();
  const lostAt = Date.now();
  await server.startAgain();
  await waitReady(redis, 5000);
  // Sent once the client is connected again (and has seen the new process), before any claim wrote a new epoch.
  await new Promise((r) => setTimeout(r, 20));
  const sentAfter = Date.now();
  const forgotten = await store.claim(who, issued, "fp", { clientTimeMs: sentBefore });
  assert.equal(forgotten.state, "forgotten", "issued before the loss: never issued again");
  const epochMs = forgotten.state === "forgotten" ? forgotten.epochMs : 0;
  assert.ok(epochMs > beforeLoss && epochMs >= lostAt, `epoch ${epochMs} after the loss at ${lostAt}`);
  assert.ok(epochMs <= sentAfter, `epoch ${epochMs} no later than the client's reconnection (${sentAfter})`);
  assert.equal((await store.claim(who, uniqueRequestId(), "fp", { clientTimeMs: sentAfter })).state, "claimed", "sent after the restart: served");
  // A tenant first seen now gets the same epoch: its requests from before the restart are refused too.
  const newcomer = { tenant: uniqueName("epoch-new"), principal: "p" };
  assert.equal((await store.claim(newcomer, uniqueRequestId(), "fp", { clientTimeMs: sentBefore })).state, "forgotten");
  assert.equal(await store.epoch(newcomer.tenant), epochMs);
  // Records written since are served whatever the client time says.
  const id = uniqueRequestId();
  const token = claimed(await store.claim(who, id, "fp", { clientTimeMs: sentAfter }));
  await store.complete(who, id, token, new Uint8Array([4]));
  assert.equal((await store.claim(who, id, "fp", { clientTimeMs: sentBefore })).state, "done");
});

// A Redis process started early in a second, while the whole-second bound of its start (INFO's
// uptime, the epoch when no client saw the process) still lies ahead: a request sent before that
// bound is served only if the client's probe saw the process.
async function freshRedisEarlyInASecond(): Promise<{ server: RedisServerHandle; wholeSecondBoundMs: number }> {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
    const started = await startRedisServer();
    const info = String(await redisCommand(started.port, ["INFO", "server"]));
    const serverS = Math.floor(Number(/server_time_usec:(\d+)/.exec(info)?.[1]) / 1e6);
    const wholeSecondBoundMs = (serverS - Number(/uptime_in_seconds:(\d+)/.exec(info)?.[1]) + 1) * 1000;
    if (wholeSecondBoundMs - Date.now() > 800) return { server: started, wholeSecondBoundMs };
    await started.stop();
  }
  throw new Error("could not start a Redis early enough in a second");
}

async function claimSentNow(store: IdempotencyStore, wholeSecondBoundMs: number): Promise<string> {
  const sentAt = Date.now();
  const who = { tenant: uniqueName("probe"), principal: "p" };
  const result = await store.claim(who, uniqueRequestId(), "fp", { clientTimeMs: sentAt });
  assert.ok(sentAt < wholeSecondBoundMs, `sent at ${sentAt}, before the whole-second bound ${wholeSecondBoundMs}: only the probe can serve it`);
  return result.state;
}

test("a fresh Redis that does not answer the client's first probe: the probe is sent again, and a request sent after the client saw the process is served within its first second", async () => {
  const { server: fresh, wholeSecondBoundMs } = await freshRedisEarlyInASecond();
  const client = createRedis(fresh.url, { commandTimeoutMs: 100 });
  try {
    await waitReady(client, 5000);
    await fresh.pause();
    // The client's first store: its probe of the process goes out now, and times out.
    const store = new IdempotencyStore(client);
    await new Promise((r) => setTimeout(r, 130));
    await fresh.resume();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await claimSentNow(store, wholeSecondBoundMs), "claimed", "sent after the client saw the process: nothing before it can have been issued");
  } finally {
    client.disconnect();
    await fresh.stop();
  }
});

test("a probe that got no answer at all is sent again by the next claim: requests sent after it are served", async () => {
  const { server: fresh, wholeSecondBoundMs } = await freshRedisEarlyInASecond();
  const client = createRedis(fresh.url, { commandTimeoutMs: 40 });
  try {
    await waitReady(client, 5000);
    await fresh.pause();
    const store = new IdempotencyStore(client);
    // Twice as long as every try of the probe (three of 40 ms, 50 ms apart) takes.
    await new Promise((r) => setTimeout(r, 500));
    await fresh.resume();
    // This claim probes again. Sent before the probe's answer, it is refused as possibly older than
    // the process, unless Redis's cached clock read at the probe still predates the request.
    assert.match(await claimSentNow(store, wholeSecondBoundMs), /^(forgotten|claimed)$/);
    assert.equal(await claimSentNow(store, wholeSecondBoundMs), "claimed", "sent after the claim that probed again");
  } finally {
    client.disconnect();
    await fresh.stop();
  }
});

test("an event loop stalled for 400 ms with commands in flight to a healthy Redis: no command times out", async () => {
  const store = new IdempotencyStore(redis);
  const limiter = new RateLimiter(redis);
  const who = { tenant: uniqueName("stall"), principal: "p" };
  for (let round = 0; round < 3; round += 1) {
    const inFlight = Array.from({ length: 200 }, (_, i) => (i % 2 === 0
      ? store.claim(who, uniqueRequestId(), "fp").then((r) => r.state)
      : limiter.check(who.tenant, [{ key: `k${i}`, perSecond: 1000, burst: 1000 }]).then((d) => String(d.allowed))));
    // Some commands are written, some still queued for the socket, when the loop stalls.
    await new Promise((r) => setImmediate(r));
    const until = Date.now() + 400;
    while (Date.now() < until) { /* a synchronous burst of work: the loop is stalled */ }
    const outcomes = await Promise.allSettled(inFlight);
    const failed = outcomes.filter((o) => o.status === "rejected").map((o) => String((o as PromiseRejectedResult).reason));
    assert.deepEqual(failed, [], `round ${round}`);
  }
});

test("a hung Redis and a stalled event loop: a claim still fails within 1.5 s", async () => {
  const store = new IdempotencyStore(redis);
  const who = { tenant: uniqueName("hung-stall"), principal: "p" };
  await server.pause();
  try {
    const started = Date.now();
    const claim = store.claim(who, uniqueRequestId(), "fp");
    const until = Date.now() + 300;
    while (Date.now() < until) { /* stalled */ }
    await assert.rejects(claim, isRedisUnavailable);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1500, `took ${elapsed} ms`);
  } finally {
    await server.resume();
  }
  await waitReady(redis, 5000);
});

test("a success whose claim record vanished is written as done when its fingerprint is given, never without", async () => {
  const store = new IdempotencyStore(redis);
  const who = { tenant: uniqueName("gone"), principal: "p" };
  const id = uniqueRequestId();
  const token = claimed(await store.claim(who, id, "fp"));
  await redis.del(`credvend:idem:{${who.tenant}}:p:${id}`);
  assert.equal(await store.complete(who, id, token, new Uint8Array([1])), false, "no fingerprint: nothing written");
  assert.equal(await store.complete(who, id, token, new Uint8Array([2]), undefined, "fp"), true);
  const replay = await store.claim(who, id, "fp");
  assert.equal(replay.state, "done");
  assert.deepEqual(replay.state === "done" && [...replay.reply], [2]);
});

function claimed(result: Awaited<ReturnType<IdempotencyStore["claim"]>>): string {
  assert.equal(result.state, "claimed");
  return result.state === "claimed" ? result.token : "";
}
