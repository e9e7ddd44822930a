// Claims with rate limits (the limits and the idempotency claim in one script) against a private
// redis-server, so that INFO commandstats counts only this file's commands.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { isCredvendError } from "@credvend/protocol";
import { startRedisServer, uniqueName, uniqueRequestId, type RedisServerHandle } from "@credvend/testkit";
import { LimitedClaims } from "./limited-claims.js";
import type { Redis } from "./connection.js";
import { IdempotencyStore, type LimitedClaimResult } from "./idempotency-store.js";
import { DEFAULT_RATE_LIMIT_PREFIX, RateLimiter, type LimitGroup } from "./rate-limiter.js";
import { createRedis, waitReady } from "./redis-client.js";
import { guardCommands } from "./scripts.js";

let server: RedisServerHandle;
let redis: Redis;
let store: IdempotencyStore;
let limiter: RateLimiter;
let claims: LimitedClaims;

before(async () => {
  server = await startRedisServer();
  redis = createRedis(server.url, { name: "guard-limited-claims-test", commandTimeoutMs: 2000 });
  await waitReady(redis, 5000);
  store = new IdempotencyStore(redis);
  limiter = new RateLimiter(redis);
  claims = new LimitedClaims(redis, store, limiter);
});
after(async () => {
  redis?.disconnect();
  await server?.stop();
});

function scope(): { tenant: string; principal: string } {
  return { tenant: uniqueName("adm"), principal: uniqueName("p") };
}

// Slow refill (one token per 100 s): nothing comes back during a test.
function limitsOf(who: { tenant: string; principal: string }, principalBurst: number, tenantBurst = 100): LimitGroup[] {
  return [{ hashTag: who.tenant, limits: [
    { key: `${who.tenant}:principal:${who.principal}`, perSecond: 0.01, burst: principalBurst },
    { key: `${who.tenant}:tenant`, perSecond: 0.01, burst: tenantBurst },
  ] }];
}

/** The stored theoretical arrival times of `groups`' limits (null: never charged). */
async function tats(groups: readonly LimitGroup[]): Promise<(string | null)[]> {
  return Promise.all(groups.flatMap((g) => g.limits.map((l) => redis.get(`${DEFAULT_RATE_LIMIT_PREFIX}:{${g.hashTag}}:${l.key}`))));
}

async function scriptCalls(): Promise<number> {
  const info = await redis.info("commandstats");
  return [...info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)].reduce((n, m) => n + Number(m[2]), 0);
}

function token(result: LimitedClaimResult): string {
  assert.equal(result.state, "claimed");
  return result.state === "claimed" ? result.token : "";
}

test("a fresh claim with limits is one script call: the limits are charged and the request claimed", async () => {
  const who = scope();
  const groups = limitsOf(who, 5);
  const id = uniqueRequestId();
  const before = await scriptCalls();
  const result = await claims.claim(who, id, "fp", groups, { clientTimeMs: Date.now() });
  assert.equal(await scriptCalls() - before, 1);
  token(result);
  assert.ok((await tats(groups)).every((tat) => tat !== null), "every limit charged");
  assert.equal((await store.claim(who, id, "fp")).state, "pending", "claimed");
});

test("a refusal by any limit consumes nothing and claims nothing, with the refusing limit and a retry hint", async () => {
  const who = scope();
  const groups = limitsOf(who, 1);
  await claims.claim(who, uniqueRequestId(), "fp", groups);
  const charged = await tats(groups);
  const id = uniqueRequestId();
  const refused = await claims.claim(who, id, "fp", groups);
  assert.equal(refused.state, "limited");
  if (refused.state === "limited") {
    assert.equal(refused.decision.limitedBy, `${who.tenant}:principal:${who.principal}`);
    assert.ok(refused.decision.retryAfterMs > 90_000, `retryAfterMs ${refused.decision.retryAfterMs}`);
  }
  assert.deepEqual(await tats(groups), charged, "the tenant's bucket, which allowed it, was not charged either");
  assert.equal((await store.claim(who, id, "fp")).state, "claimed", "no record was written");
});

test("replays, pending duplicates and mismatches are charged; a duplicate's polls are not", async () => {
  const who = scope();
  const groups = limitsOf(who, 4);
  const id = uniqueRequestId();
  const first = token(await claims.claim(who, id, "fp", groups));
  assert.equal((await claims.claim(who, id, "fp", groups)).state, "pending");
  assert.equal((await claims.claim(who, id, "other", groups)).state, "mismatch");
  // The pending duplicate waits: many polls while the first is served.
  const polls = store.awaitResult(who, id, "fp", { deadlineMs: Date.now() + 5000, pollMs: 2 });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(await store.complete(who, id, first, new Uint8Array([7])), true);
  assert.equal((await polls).state, "done");
  // Three charged so far (first, duplicate, mismatch): one token is left for the replay.
  assert.equal((await claims.claim(who, id, "fp", groups)).state, "done");
  const over = await claims.claim(who, id, "fp", groups);
  assert.equal(over.state, "limited", "the replay was charged, and the polls were not");
});

test("a command that arrives after its not-after changes nothing, limits included", async () => {
  const who = scope();
  const groups = limitsOf(who, 5);
  const keyed = limiter.keyed(groups);
  const recordKey = `credvend:idem:{${who.tenant}}:${who.principal}:${uniqueRequestId()}`;
  const commands = guardCommands(redis);
  const reply = await commands.cvIdemClaimLimitedBuffer(2 + keyed.keys.length, recordKey, `credvend:idem:{${who.tenant}}:epoch`, ...keyed.keys, "token", "fp", 30_000, Date.now() - 10_000, Date.now(), 0, "", ...keyed.args);
  assert.equal(reply[0]?.toString(), "stale");
  assert.deepEqual(await tats(groups), [null, null]);
  assert.equal(await redis.exists(recordKey), 0);
});

test("a retry of the same attempt (same token) whose first run claimed the record is not charged again", async () => {
  const who = scope();
  const groups = limitsOf(who, 5);
  const keyed = limiter.keyed(groups);
  const recordKey = `credvend:idem:{${who.tenant}}:${who.principal}:${uniqueRequestId()}`;
  const commands = guardCommands(redis);
  const send = () => commands.cvIdemClaimLimitedBuffer(2 + keyed.keys.length, recordKey, `credvend:idem:{${who.tenant}}:epoch`, ...keyed.keys, "token", "fp", 30_000, Date.now() + 10_000, Number.MAX_SAFE_INTEGER, 0, "", ...keyed.args);
  assert.equal((await send())[0]?.toString(), "claimed");
  const charged = await tats(groups);
  assert.equal((await send())[0]?.toString(), "claimed");
  assert.deepEqual(await tats(groups), charged);
});

test("limits under other hash tags go in the same script on a single Redis", async () => {
  const who = scope();
  const other = uniqueName("adm-other");
  const groups: LimitGroup[] = [...limitsOf(who, 5), { hashTag: other, limits: [{ key: `${other}:principal:${who.tenant}.${who.principal}`, perSecond: 0.01, burst: 1 }] }];
  const before = await scriptCalls();
  token(await claims.claim(who, uniqueRequestId(), "fp", groups));
  assert.equal(await scriptCalls() - before, 1);
  const charged = await tats(groups);
  const id = uniqueRequestId();
  const refused = await claims.claim(who, id, "fp", groups);
  assert.equal(refused.state === "limited" ? refused.decision.limitedBy : refused.state, `${other}:principal:${who.tenant}.${who.principal}`);
  assert.deepEqual(await tats(groups), charged);
  assert.equal((await store.claim(who, id, "fp")).state, "claimed");
});

test("with replicas to wait for, the claim with limits goes through WAIT: too few acknowledgements refuse it", async () => {
  const who = scope();
  const waiting = new LimitedClaims(redis, new IdempotencyStore(redis, { replicas: 1, replicaWaitMs: 20 }), limiter);
  const error = await waiting.claim(who, uniqueRequestId(), "fp", limitsOf(who, 5)).then(() => undefined, (e: unknown) => e);
  assert.ok(isCredvendError(error) && error.reason === "CV_ERR_REDIS_UNAVAILABLE", String(error));
  assert.match(String((error as Error).message), /0 of 1 Redis replica/);
});

test("bad limits are refused before any I/O", async () => {
  const who = scope();
  const before = await scriptCalls();
  const twice = { key: "k", perSecond: 1, burst: 1 };
  await assert.rejects(claims.claim(who, uniqueRequestId(), "fp", [{ hashTag: who.tenant, limits: [twice] }, { hashTag: who.tenant, limits: [twice] }]), RangeError);
  await assert.rejects(claims.claim(who, uniqueRequestId(), "fp", [{ hashTag: "", limits: [twice] }]), RangeError);
  assert.equal(await scriptCalls() - before, 0);
});
