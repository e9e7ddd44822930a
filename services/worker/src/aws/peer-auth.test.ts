// Fleet membership on the peer subjects: what a holder of the vendor's NATS user alone (no peer
// key) tries, against real nats-server and redis-server: asking an owner for a data key lease or a
// session, answering another worker's ask first with a key of its own, replaying a worker's ask.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { DataKeyCache, generatePeerKeyPair, sealLeaseToPeer } from "@credvend/envelope";
import { DATA_KEY_OWNER_PREFIX, ReuseOwners } from "@credvend/guard";
import { peerSubject } from "@credvend/protocol";
import { uniqueName } from "@credvend/testkit";
import { usePeerFleet } from "../testing/peer-fleet.js";
import { CredentialReuse } from "./credential-reuse.js";
import { FleetDataKeys } from "./fleet-data-keys.js";
import { FleetReuse } from "./fleet-reuse.js";
import { PEER_ASK_MAX_AGE_MS, PeerAuth, PeerAuthError, peerKeyFromSecret } from "./peer-auth.js";
import { decodePeerAnswer, decodePeerAsk, encodePeerAnswer, encodePeerAsk } from "./peer-codec.js";
import { loadPeerAuth } from "./peer-key.js";
import { WorkerStartError } from "../run.js";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const fleetOf = usePeerFleet("peer-auth-test");
const text = (s: string) => new TextEncoder().encode(s);
const refused = (e: unknown) => e instanceof PeerAuthError;

test("an ask opens only with the fleet's key, fresh and once; an answer only for its own ask", () => {
  let now = 1_000_000;
  const key = new Uint8Array(randomBytes(32));
  const asker = new PeerAuth(key, () => now);
  const owner = new PeerAuth(key, () => now);
  const signed = asker.signAsk(text("ask-1"), "owner-1");
  const opened = owner.openAsk(signed.bytes, "owner-1");
  assert.deepEqual(Buffer.from(opened.payload).toString(), "ask-1");
  assert.throws(() => owner.openAsk(signed.bytes, "owner-1"), /replayed/, "the same ask twice");
  // Each worker remembers only the asks it saw: one recorded on its way to another must not open here.
  const another = new PeerAuth(key, () => now);
  assert.throws(() => another.openAsk(asker.signAsk(text("ask-7"), "owner-1").bytes, "owner-2"), /for another worker/, "an ask for another worker");
  assert.throws(() => new PeerAuth(new Uint8Array(randomBytes(32)), () => now).openAsk(asker.signAsk(text("x"), "owner-1").bytes, "owner-1"), refused, "another fleet's key");
  const tampered = JSON.parse(Buffer.from(asker.signAsk(text("ask-2"), "owner-1").bytes).toString()) as Record<string, unknown>;
  tampered.p = Buffer.from("ask-3").toString("base64url");
  assert.throws(() => owner.openAsk(text(JSON.stringify(tampered)), "owner-1"), refused, "a changed payload");
  const old = asker.signAsk(text("ask-4"), "owner-1");
  now += PEER_ASK_MAX_AGE_MS + 1;
  assert.throws(() => owner.openAsk(old.bytes, "owner-1"), /old/, "a stale ask");
  assert.throws(() => owner.openAsk(encodePeerAsk({ kind: "data-key", key: "k", publicKey: new Uint8Array(32) }), "owner-1"), /not signed/, "an unsigned (older) ask");

  const ask = asker.signAsk(text("ask-5"), "owner-1");
  const answer = owner.signAnswer(text("answer"), owner.openAsk(ask.bytes, "owner-1").mac);
  assert.equal(Buffer.from(asker.openAnswer(answer, ask.mac)).toString(), "answer");
  assert.throws(() => asker.openAnswer(answer, asker.signAsk(text("ask-6"), "owner-1").mac), refused, "an answer to another ask");
  assert.throws(() => asker.openAnswer(encodePeerAnswer(undefined), ask.mac), refused, "an unsigned answer");
});

test("a peer secret shorter than 32 bytes is refused with how to make one", () => {
  assert.throws(() => peerKeyFromSecret(text("  short  \n")), /at least 32 random bytes.*openssl rand -base64 32/);
  assert.equal(peerKeyFromSecret(text(`${"k".repeat(44)}\n`)).length, 32);
  assert.deepEqual(peerKeyFromSecret(text(`${"k".repeat(44)}\n`)), peerKeyFromSecret(text("k".repeat(44))), "surrounding whitespace does not count");
});

test("a missing or too short CREDVEND_PEER_KEY_FILE stops the worker with what to fix", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-peer-key-test-"));
  try {
    assert.throws(() => loadPeerAuth(path.join(dir, "absent.key")), (e: unknown) => e instanceof WorkerStartError && /cannot read CREDVEND_PEER_KEY_FILE/.test(e.message));
    const short = path.join(dir, "short.key");
    writeFileSync(short, "too-short\n");
    assert.throws(() => loadPeerAuth(short), (e: unknown) => e instanceof WorkerStartError && /CREDVEND_PEER_KEY_FILE .*at least 32 random bytes/.test(e.message));
    const good = path.join(dir, "peer.key");
    writeFileSync(good, `${randomBytes(32).toString("base64")}\n`);
    assert.ok(loadPeerAuth(good) instanceof PeerAuth);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A worker's data key cache and session cache, shared with the fleet through `link`. */
function worker(id: string, peerKey?: Uint8Array | null) {
  const link = fleetOf.link(id, peerKey);
  const cache = new DataKeyCache({ maxAgeMs: 60_000, maxUses: 10_000, maxBytes: 2 ** 26, maxEntries: 100 });
  cache.shareWith(new FleetDataKeys({ link, owners: new ReuseOwners(fleetOf.redis(), { prefix: DATA_KEY_OWNER_PREFIX }), cache }));
  const reuse = new CredentialReuse({ maxEntries: 100, now: Date.now });
  reuse.shareWith(new FleetReuse({ link, owners: new ReuseOwners(fleetOf.redis()), reuse, now: Date.now }));
  link.serve();
  return { id, link, cache, reuse };
}

const keyOf = (keyId: string) => ({ plaintext: new Uint8Array(randomBytes(32)), encrypted: new Uint8Array(randomBytes(120)), keyId });

test("the vendor's NATS user alone gets no data key lease and no session from an owner", async () => {
  const tenant = uniqueName("peer");
  const owner = worker(uniqueName("w"));
  await fleetOf.nc().flush();
  const cacheKey = `alias/replies\u0000${tenant}\u0000alice`;
  const real = keyOf("arn:aws:kms:us-east-1:000000000000:key/real");
  const realBytes = Buffer.from(real.plaintext);
  await owner.cache.take(cacheKey, async () => real, { tenant, bytes: 4096 });
  const reuseKey = `${tenant}:reuse:${uniqueName("digest")}`;
  await owner.reuse.obtain(reuseKey, { template: "t", tenant, principal: "alice" }, 60_000, async () => ({
    accessKeyId: "ASIAOWNEROWNEROWNER1", secretAccessKey: "OWNER-SECRET-KEY-MARKER", sessionToken: "tok", expirationMs: Date.now() + 3_600_000,
    assumedRoleArn: "arn:aws:sts::000000000000:assumed-role/r/s", sourceIdentity: "", packedPolicySize: 1,
  }));
  const ownerId = owner.id;
  const rogueKeys = generatePeerKeyPair();
  const asks = [
    // Unsigned, as before the fleet key existed.
    encodePeerAsk({ kind: "data-key", key: cacheKey, publicKey: rogueKeys.publicKey }),
    encodePeerAsk({ kind: "session", key: reuseKey, minRemainingMs: 0, publicKey: rogueKeys.publicKey }),
    // Signed with a key of the rogue's own.
    new PeerAuth(new Uint8Array(randomBytes(32))).signAsk(encodePeerAsk({ kind: "data-key", key: cacheKey, publicKey: rogueKeys.publicKey }), ownerId).bytes,
  ];
  for (const ask of asks) {
    const answer = await fleetOf.nc().request(peerSubject(ownerId), ask, { timeout: 2000 });
    assert.equal(decodePeerAnswer(answer.data), undefined, "nothing is handed over");
    for (const secret of [realBytes.toString("base64"), realBytes.toString("base64url"), "OWNER-SECRET-KEY-MARKER"]) {
      assert.ok(!Buffer.from(answer.data).toString("latin1").includes(secret));
    }
  }
});

test("an answer from the vendor's NATS user alone is not taken for the owner's: the asker uses no key of the rogue's", async () => {
  const tenant = uniqueName("peer");
  const owner = worker(uniqueName("w"));
  const asker = worker(uniqueName("w"));
  await fleetOf.nc().flush();
  const cacheKey = `alias/replies\u0000${tenant}\u0000bob`;
  const real = keyOf("arn:aws:kms:us-east-1:000000000000:key/real");
  await owner.cache.take(cacheKey, async () => real, { tenant, bytes: 4096 });
  // The rogue reads every ask (the vendor's NATS user may subscribe to the peer subjects) and
  // answers first, sealing a key of its own to the asker's one-time public key.
  const rogueKey = keyOf("arn:aws:kms:us-east-1:000000000000:key/rogue");
  const rogueBytes = Buffer.from(rogueKey.plaintext);
  const ownerId = owner.id;
  let answeredFirst = 0;
  const rogue = fleetOf.nc().subscribe(peerSubject(ownerId), {
    callback: (_e, m) => {
      const raw = JSON.parse(Buffer.from(m.data).toString()) as { p?: string };
      const ask = decodePeerAsk(raw.p === undefined ? m.data : new Uint8Array(Buffer.from(raw.p, "base64url")));
      if (ask.kind !== "data-key") return;
      answeredFirst += 1;
      m.respond(encodePeerAnswer(sealLeaseToPeer(ask.publicKey, { key: { ...rogueKey, plaintext: Uint8Array.from(rogueKey.plaintext) }, maxUses: 10_000, maxBytes: 2 ** 26, ttlMs: 60_000 }, ask.key)));
    },
  });
  await fleetOf.nc().flush();
  try {
    const own = keyOf("arn:aws:kms:us-east-1:000000000000:key/asker");
    const ownBytes = Buffer.from(own.plaintext);
    const used = await asker.cache.take(cacheKey, async () => own, { tenant, bytes: 4096 });
    assert.ok(answeredFirst >= 1, "the rogue did answer");
    assert.ok(!Buffer.from(used.plaintext).equals(rogueBytes) && !used.keyId.endsWith("/rogue"), "the rogue's key is never used");
    // Its answer refused, the asker took the recipient over and generated a key of its own.
    assert.ok(used.keyId.endsWith("/asker") && Buffer.from(used.plaintext).equals(ownBytes), used.keyId);
  } finally {
    rogue.unsubscribe();
  }
});

test("a worker without the fleet's peer key neither asks nor answers, and works on its own", async () => {
  const tenant = uniqueName("peer");
  const keyed = worker(uniqueName("w"));
  const alone = worker(uniqueName("w"), null);
  await fleetOf.nc().flush();
  const cacheKey = `alias/replies\u0000${tenant}\u0000carol`;
  await keyed.cache.take(cacheKey, async () => keyOf("arn:aws:kms:us-east-1:000000000000:key/keyed"), { tenant, bytes: 4096 });
  let generated = 0;
  const used = await alone.cache.take(cacheKey, async () => {
    generated += 1;
    return keyOf("arn:aws:kms:us-east-1:000000000000:key/alone");
  }, { tenant, bytes: 4096 });
  assert.equal(generated, 1);
  assert.ok(used.keyId.endsWith("/alone"));
});
