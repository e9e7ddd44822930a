// Fleet-wide single flight against a real nats-server and redis-server: workers' reuse caches
// (each with its FleetReuse, as startWorker wires them) share one STS call per session, hand
// copies over sealed, and fall back to their own call when the owner is gone or has nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { ReuseOwners } from "@credvend/guard";
import { peerSubject } from "@credvend/protocol";
import { uniqueName } from "@credvend/testkit";
import type { IssuedCredentials } from "../pipeline/types.js";
import { usePeerFleet } from "../testing/peer-fleet.js";
import { CredentialReuse } from "./credential-reuse.js";
import { FleetReuse } from "./fleet-reuse.js";

const fleetOf = usePeerFleet("fleet-reuse-test");

function worker(id: string): { reuse: CredentialReuse; fleet: FleetReuse } {
  const reuse = new CredentialReuse({ maxEntries: 100, now: Date.now });
  const link = fleetOf.link(id);
  const fleet = new FleetReuse({ link, owners: new ReuseOwners(fleetOf.redis()), reuse, now: Date.now });
  reuse.shareWith(fleet);
  link.serve();
  return { reuse, fleet };
}

let serial = 0;
/** An STS stand-in that counts its calls; each call issues distinct keys. */
function sts(delayMs = 50): { calls: () => number; issue: () => Promise<IssuedCredentials> } {
  let calls = 0;
  return {
    calls: () => calls,
    issue: async () => {
      calls += 1;
      serial += 1;
      await sleep(delayMs);
      return { accessKeyId: `ASIATEST${serial}`, secretAccessKey: `secret-${serial}-${"x".repeat(30)}`, sessionToken: `token-${serial}`, expirationMs: Date.now() + 3_600_000, assumedRoleArn: "arn:aws:sts::000000000000:assumed-role/r/s", sourceIdentity: "", packedPolicySize: 3 };
    },
  };
}

const MIN_REMAINING_MS = 300_000;

test("concurrent identical requests on three workers share one STS call, and copies are sealed on the wire", async () => {
  const tenant = uniqueName("fleet");
  const scope = { template: "s3-reusable", tenant, principal: "demo-app" };
  const key = `${tenant}:reuse:digest-a`;
  const ids = [uniqueName("w"), uniqueName("w"), uniqueName("w")];
  const workers = ids.map((id) => worker(id));
  const seen: string[] = [];
  const snoop = fleetOf.nc().subscribe("_INBOX.>", { callback: (_e, m) => seen.push(Buffer.from(m.data).toString("latin1")) });
  // These workers' subjects only: a wildcard would answer no one and stall other tests' asks to owners that are gone.
  const peers = ids.map((id) => fleetOf.nc().subscribe(peerSubject(id), { callback: (_e, m) => seen.push(Buffer.from(m.data).toString("latin1")) }));
  const counter = sts(100);
  const results = await Promise.all(Array.from({ length: 60 }, (_, i) => workers[i % 3]!.reuse.obtain(key, scope, MIN_REMAINING_MS, counter.issue)));
  snoop.unsubscribe();
  for (const p of peers) p.unsubscribe();
  assert.equal(counter.calls(), 1, "one STS call for the whole fleet");
  assert.equal(new Set(results.map((r) => r.issued.accessKeyId)).size, 1, "one session for every request");
  assert.equal(results.filter((r) => !r.reused).length, 1, "only the owner's first request issued it");
  assert.ok(seen.length >= 2, `the other workers asked the owner (${seen.length} messages)`);
  const secret = results[0]!.issued.secretAccessKey;
  for (const m of seen) {
    assert.ok(!m.includes(secret) && !m.includes(results[0]!.issued.sessionToken), "no secret in clear on NATS");
    assert.ok(!m.includes(Buffer.from(secret).toString("base64")) && !m.includes(Buffer.from(secret).toString("base64url")), "nor in base64");
  }
  // Later requests are served from each worker's own copy: no more asks, no more calls.
  await Promise.all(workers.map((w) => w.reuse.obtain(key, scope, MIN_REMAINING_MS, counter.issue)));
  assert.equal(counter.calls(), 1);
  const stored = await fleetOf.redis().keys(`credvend:reuse-owner:{${tenant}}:*`);
  assert.equal(stored.length, 1);
  const value = await fleetOf.redis().get(stored[0]!);
  assert.ok(value !== null && !value.includes(secret) && value.length <= 64, "Redis holds the owner's worker id only");
});

test("an owner that is gone or no longer has the session is taken over with one STS call of the asker's own", async () => {
  const tenant = uniqueName("fleet");
  const scope = { template: "s3-reusable", tenant, principal: "demo-app" };
  const owners = new ReuseOwners(fleetOf.redis());
  const a = worker(uniqueName("w"));
  const counter = sts(10);
  // The owner named in Redis never answers (its worker stopped): no responders.
  await owners.claim(tenant, `${tenant}:reuse:gone`, "ghost-worker", 60_000);
  const started = Date.now();
  const first = await a.reuse.obtain(`${tenant}:reuse:gone`, scope, MIN_REMAINING_MS, counter.issue);
  assert.equal(counter.calls(), 1);
  assert.equal(first.reused, false);
  assert.ok(Date.now() - started < 2_000, "no waiting out a timeout for an owner that is gone");
  // Now this worker owns it: another worker gets its copy.
  const bId = uniqueName("w");
  const b = worker(bId);
  const copy = await b.reuse.obtain(`${tenant}:reuse:gone`, scope, MIN_REMAINING_MS, counter.issue);
  assert.equal(counter.calls(), 1);
  assert.equal(copy.issued.accessKeyId, first.issued.accessKeyId);

  // The owner is alive but has nothing for the key (evicted, or restarted with an empty cache).
  const c = worker(uniqueName("w"));
  await owners.claim(tenant, `${tenant}:reuse:empty`, bId, 60_000);
  const own = await c.reuse.obtain(`${tenant}:reuse:empty`, scope, MIN_REMAINING_MS, counter.issue);
  assert.equal(counter.calls(), 2, "the asker called STS itself");
  assert.equal(own.reused, false);
});

test("a copy is never used for another scope, and a revoked session is neither handed out nor taken", async () => {
  const tenant = uniqueName("fleet");
  const scope = { template: "s3-reusable", tenant, principal: "demo-app" };
  const key = `${tenant}:reuse:revoked`;
  const a = worker(uniqueName("w"));
  const b = worker(uniqueName("w"));
  const counter = sts(10);
  const issued = await a.reuse.obtain(key, scope, MIN_REMAINING_MS, counter.issue);
  // The owner heard the revocation: it hands out nothing, the asker issues its own.
  a.reuse.revoke({ template: "s3-reusable", tenant, beforeMs: Date.now() + 1 });
  const fresh = await b.reuse.obtain(key, scope, MIN_REMAINING_MS, counter.issue);
  assert.equal(counter.calls(), 2);
  assert.notEqual(fresh.issued.accessKeyId, issued.issued.accessKeyId);

  // The asker heard it but the owner not yet: the asker refuses the owner's copy.
  const key2 = `${tenant}:reuse:revoked-2`;
  const before = await a.reuse.obtain(key2, scope, MIN_REMAINING_MS, counter.issue);
  const c = worker(uniqueName("w"));
  c.reuse.revoke({ template: "s3-reusable", tenant, beforeMs: Date.now() + 1 });
  const own = await c.reuse.obtain(key2, scope, MIN_REMAINING_MS, counter.issue);
  assert.notEqual(own.issued.accessKeyId, before.issued.accessKeyId, "a copy issued before the notice is not taken");

  // A copy asked for one principal is not used for another, even under the same key.
  const d = worker(uniqueName("w"));
  const other = await d.reuse.obtain(key2, { ...scope, principal: "other-app" }, MIN_REMAINING_MS, counter.issue);
  assert.notEqual(other.issued.accessKeyId, before.issued.accessKeyId);
});
