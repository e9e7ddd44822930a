import { test } from "node:test";
import assert from "node:assert/strict";
import { CredentialReuse } from "./credential-reuse.js";
import type { IssuedCredentials } from "../pipeline/types.js";

const SCOPE = { template: "t", tenant: "acme", principal: "app" };
const creds = (id: string, expirationMs: number): IssuedCredentials => ({
  accessKeyId: id, secretAccessKey: "s", sessionToken: "t", expirationMs, assumedRoleArn: "arn", sourceIdentity: "", packedPolicySize: 1,
});

test("fresh credentials are reused until fewer than minRemaining are left", async () => {
  let now = 0;
  let calls = 0;
  const reuse = new CredentialReuse({ maxEntries: 10, now: () => now });
  const issue = async () => creds(`K${++calls}`, now + 900_000);
  assert.deepEqual(await reuse.obtain("k", SCOPE, 300_000, issue), { issued: creds("K1", 900_000), reused: false });
  assert.equal((await reuse.obtain("k", SCOPE, 300_000, issue)).reused, true);
  now = 600_001;
  const renewed = await reuse.obtain("k", SCOPE, 300_000, issue);
  assert.equal(renewed.reused, false);
  assert.equal(renewed.issued.accessKeyId, "K2");
});

test("identical calls in flight share one STS call; a failure is not cached", async () => {
  let calls = 0;
  const reuse = new CredentialReuse({ maxEntries: 10, now: () => 0 });
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const issue = async () => { calls += 1; await gate; return creds("K", 900_000); };
  const all = Promise.all(Array.from({ length: 20 }, () => reuse.obtain("k", SCOPE, 0, issue)));
  release();
  const results = await all;
  assert.equal(calls, 1);
  assert.equal(results.filter((r) => !r.reused).length, 1);
  await assert.rejects(reuse.obtain("other", SCOPE, 0, async () => { throw new Error("denied"); }), /denied/);
  assert.equal((await reuse.obtain("other", SCOPE, 0, async () => creds("K2", 900_000))).reused, false);
});

test("memory is bounded", async () => {
  const reuse = new CredentialReuse({ maxEntries: 3, now: () => 0 });
  for (let i = 0; i < 10; i += 1) await reuse.obtain(`k${i}`, SCOPE, 0, async () => creds(`K${i}`, 900_000));
  assert.equal(reuse.size, 3);
});

test("a tenant that floods the full cache with sessions of its own evicts its own, not another tenant's", async () => {
  let calls = 0;
  const reuse = new CredentialReuse({ maxEntries: 5, now: () => 0 });
  const issue = async () => creds(`K${++calls}`, 900_000);
  const quiet = { ...SCOPE, tenant: "quiet" };
  await reuse.obtain("q1", quiet, 0, issue);
  await reuse.obtain("q2", quiet, 0, issue);
  const flooder = { ...SCOPE, tenant: "flood" };
  for (let i = 0; i < 50; i += 1) await reuse.obtain(`f${i}`, flooder, 0, issue);
  const before = calls;
  assert.deepEqual([(await reuse.obtain("q1", quiet, 0, issue)).reused, (await reuse.obtain("q2", quiet, 0, issue)).reused], [true, true]);
  assert.equal(calls, before, "the quiet tenant's sessions cost no new STS call");
});

test("credentials are not kept past their expiry, even when the caller asks for no margin", async () => {
  let now = 0;
  let calls = 0;
  const reuse = new CredentialReuse({ maxEntries: 10, now: () => now });
  const issue = async () => creds(`K${++calls}`, 1_000);
  await reuse.obtain("k", SCOPE, 0, issue);
  now = 1_001;
  const after = await reuse.obtain("k", SCOPE, 0, issue);
  assert.deepEqual([after.reused, after.issued.accessKeyId], [false, "K2"]);
});

test("a revocation drops matching cached sessions and refuses what an STS call in flight at the notice returns", async () => {
  let now = 1_000;
  let calls = 0;
  const reuse = new CredentialReuse({ maxEntries: 10, now: () => now });
  const issue = async () => creds(`K${++calls}`, now + 900_000);
  const other = { ...SCOPE, principal: "other" };
  await reuse.obtain("k", SCOPE, 0, issue);
  await reuse.obtain("o", other, 0, issue);
  now = 2_000;
  assert.equal(reuse.revoke({ template: "t", principal: "app", beforeMs: 1_500 }), 1);
  assert.deepEqual([(await reuse.obtain("o", other, 0, issue)).reused], [true], "another principal's session is kept");
  const renewed = await reuse.obtain("k", SCOPE, 0, issue);
  assert.deepEqual([renewed.reused, renewed.issued.accessKeyId], [false, "K3"]);
  // A call that started before the notice but returns after it: its session may predate the deny.
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const slow = async () => { const c = creds(`K${++calls}`, now + 900_000); await gate; return c; };
  const inFlight = reuse.obtain("n", SCOPE, 0, slow);
  const joined = reuse.obtain("n", SCOPE, 0, slow);
  now = 3_000;
  reuse.revoke({ template: "t", beforeMs: 2_500 });
  release();
  const results = await Promise.all([inFlight, joined]);
  for (const r of results) assert.notEqual(r.issued.accessKeyId, "K4", "the session issued before the notice is never handed out");
});

test("after forgetAll nothing issued before is reused", async () => {
  let now = 1_000;
  let calls = 0;
  const reuse = new CredentialReuse({ maxEntries: 10, now: () => now });
  const issue = async () => creds(`K${++calls}`, now + 900_000);
  await reuse.obtain("k", SCOPE, 0, issue);
  now = 1_001;
  assert.equal(reuse.forgetAll(), 1);
  assert.equal((await reuse.obtain("k", SCOPE, 0, issue)).issued.accessKeyId, "K2");
});

test("a peer asking for more lifetime than the cached session has gets nothing, and the owner keeps the session", async () => {
  let now = 1_000;
  let calls = 0;
  const reuse = new CredentialReuse({ maxEntries: 10, now: () => now });
  const issue = async () => creds(`K${++calls}`, now + 3_600_000);
  await reuse.obtain("k", SCOPE, 60_000, issue);
  assert.equal(await reuse.share("k", 7_200_000), undefined, "an hour left, two asked");
  assert.equal(reuse.size, 1);
  assert.deepEqual(await reuse.obtain("k", SCOPE, 60_000, issue), { issued: creds("K1", 3_601_000), reused: true });
  assert.equal((await reuse.share("k", 60_000))?.issued.accessKeyId, "K1");
  // A revoked session is never shared.
  reuse.revoke({ template: "t", principal: "app", beforeMs: 2_000 });
  assert.equal(await reuse.share("k", 0), undefined);
  assert.equal(reuse.size, 0);
  assert.equal(calls, 1);
});
