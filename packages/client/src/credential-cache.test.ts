// The provider's cache with an injected clock and a vend function of our own (the vendor side is
// exercised end to end in test/src/provider.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { CredentialCache, MIN_USABLE_MS } from "./credential-cache.js";
import type { VendedCredentials } from "./verify-reply.js";

const MIN = 60_000;

function clock(start = Date.UTC(2030, 0, 1)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

function vendor(c: ReturnType<typeof clock>, lifetimeMs = 15 * MIN) {
  let calls = 0;
  let failing: CredvendError | undefined;
  return {
    get calls() { return calls; },
    fail(error: CredvendError | undefined) { failing = error; },
    vend: async (): Promise<VendedCredentials> => {
      calls += 1;
      await new Promise((resolve) => setImmediate(resolve));
      if (failing) throw failing;
      return { accessKeyId: `ASIA${calls}`, secretAccessKey: "s", sessionToken: "t", expiration: new Date(c.now() + lifetimeMs), arn: "", sourceIdentity: "", requestId: `r${calls}`, replayed: false };
    },
  };
}

test("serves the cached credential until refreshBeforeMs (plus jitter) before expiry, then vends again", async () => {
  const c = clock();
  const v = vendor(c);
  const cache = new CredentialCache({ now: c.now, random: () => 0.5, refreshJitterMs: 2 * MIN });
  assert.equal((await cache.get("k", v.vend)).accessKeyId, "ASIA1");
  c.advance(8 * MIN + 59_000); // 6 min 1 s left: refresh is due at 5 min + 0.5 × 2 min = 6 min left
  assert.equal((await cache.get("k", v.vend)).accessKeyId, "ASIA1");
  c.advance(2000);
  assert.equal((await cache.get("k", v.vend)).accessKeyId, "ASIA2");
  assert.equal(v.calls, 2);
});

test("jitter spreads the refresh moment over refreshJitterMs", async () => {
  const due = async (random: number) => {
    const c = clock();
    const v = vendor(c);
    const cache = new CredentialCache({ now: c.now, random: () => random });
    await cache.get("k", v.vend);
    let waited = 0;
    while (v.calls === 1) {
      c.advance(1000);
      waited += 1000;
      await cache.get("k", v.vend);
    }
    return waited;
  };
  assert.equal(await due(0), 10 * MIN);
  assert.equal(await due(0.5), 9.5 * MIN);
});

test("a hundred concurrent callers share one vend", async () => {
  const c = clock();
  const v = vendor(c);
  const cache = new CredentialCache({ now: c.now });
  const got = await Promise.all(Array.from({ length: 100 }, () => cache.get("k", v.vend)));
  assert.equal(v.calls, 1);
  assert.equal(new Set(got.map((g) => g.accessKeyId)).size, 1);
});

test("keys never share; a credential shorter than the margin is not refreshed on every call", async () => {
  const c = clock();
  const v = vendor(c, 4 * MIN);
  const cache = new CredentialCache({ now: c.now });
  const a = await cache.get("a", v.vend);
  const b = await cache.get("b", v.vend);
  assert.notEqual(a.accessKeyId, b.accessKeyId);
  await cache.get("a", v.vend);
  assert.equal(v.calls, 2, "4 min of life under a 5 min margin: kept until half of it is gone");
  c.advance(2 * MIN + 1);
  await cache.get("a", v.vend);
  assert.equal(v.calls, 3);
});

test("a failed refresh returns the still-valid credential; once it has expired, the error", async () => {
  const c = clock();
  const v = vendor(c);
  const cache = new CredentialCache({ now: c.now, refreshJitterMs: 0 });
  const first = await cache.get("k", v.vend);
  c.advance(11 * MIN);
  const outage = new CredvendError("CV_ERR_CLIENT_NO_VENDOR", "no vendor");
  v.fail(outage);
  assert.equal((await cache.get("k", v.vend)).accessKeyId, first.accessKeyId);
  const calls = v.calls;
  assert.equal((await cache.get("k", v.vend)).accessKeyId, first.accessKeyId);
  assert.equal(v.calls, calls, "no new attempt right after a failure");
  c.advance(4 * MIN - MIN_USABLE_MS);
  await assert.rejects(cache.get("k", v.vend), (e: unknown) => e === outage, "less than MIN_USABLE_MS left counts as expired");
  v.fail(undefined);
  c.advance(10_000);
  assert.equal((await cache.get("k", v.vend)).accessKeyId, `ASIA${v.calls}`);
});

test("credentials the vendor hands out already (nearly) expired are refused, typed", async () => {
  const c = clock();
  const v = vendor(c, MIN_USABLE_MS / 2);
  const cache = new CredentialCache({ now: c.now });
  await assert.rejects(cache.get("k", v.vend), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_CLIENT_BAD_REPLY");
});

test("bad options are refused with the option's name", () => {
  assert.throws(() => new CredentialCache({ refreshBeforeMs: -1 }), /refreshBeforeMs/);
  assert.throws(() => new CredentialCache({ refreshJitterMs: Number.NaN }), /refreshJitterMs/);
});
