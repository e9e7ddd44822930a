// A data key lease opens only for the asker's one-time key and only as the recipient it was asked for.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { openLeaseFromPeer, sealLeaseToPeer } from "./data-key-lease.js";
import { generatePeerKeyPair } from "./peer-seal.js";

const lease = () => ({
  key: { plaintext: new Uint8Array(randomBytes(32)), encrypted: new Uint8Array(randomBytes(184)), keyId: "arn:aws:kms:us-east-1:000000000000:key/c0ffee00-0000-4000-8000-000000000001" },
  maxUses: 4999,
  maxBytes: 33_554_432,
  ttlMs: 241_500,
});

test("a lease round-trips to the asker's key, for the cache key it was asked for", () => {
  const asker = generatePeerKeyPair();
  const l = lease();
  const sealed = sealLeaseToPeer(asker.publicKey, l, "alias/r\u0000acme\u0000demo-app");
  assert.ok(!Buffer.from(sealed.ciphertext).includes(Buffer.from(l.key.plaintext)), "the key is not in the sealed bytes");
  const opened = openLeaseFromPeer(sealed, asker, "alias/r\u0000acme\u0000demo-app");
  assert.deepEqual(opened, l);
});

test("a lease does not open for another recipient, another asker, or after tampering", () => {
  const asker = generatePeerKeyPair();
  const sealed = sealLeaseToPeer(asker.publicKey, lease(), "alias/r\u0000acme\u0000demo-app");
  assert.throws(() => openLeaseFromPeer(sealed, asker, "alias/r\u0000acme\u0000other-app"));
  assert.throws(() => openLeaseFromPeer(sealed, generatePeerKeyPair(), "alias/r\u0000acme\u0000demo-app"));
  const tampered = { ...sealed, ciphertext: Uint8Array.from(sealed.ciphertext, (b, i) => (i === 3 ? b ^ 1 : b)) };
  assert.throws(() => openLeaseFromPeer(tampered, asker, "alias/r\u0000acme\u0000demo-app"));
});

test("a lease whose fields do not fit is refused", () => {
  const asker = generatePeerKeyPair();
  const l = lease();
  assert.throws(() => sealLeaseToPeer(asker.publicKey, { ...l, key: { ...l.key, encrypted: new Uint8Array(70_000) } }, "k"), /too long/);
  const negative = sealLeaseToPeer(asker.publicKey, { ...l, ttlMs: -1 }, "k");
  assert.throws(() => openLeaseFromPeer(negative, asker, "k"), /malformed/);
});
