// A data key lease opens only for the asker's one-time key and only as the recipient it was asked for.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createDecipheriv, randomBytes } from "node:crypto";
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

type Maker = (this: unknown, ...args: unknown[]) => Buffer;

/** Every Buffer made while `run` runs: by Buffer's allocators and by a decipher's update() and final(). */
function buffersMadeDuring(run: () => void): Buffer[] {
  const decipher = Object.getPrototypeOf(createDecipheriv("aes-256-gcm", Buffer.alloc(32), Buffer.alloc(12))) as Record<string, Maker>;
  const makers: [Record<string, Maker>, string][] = [
    ...(["alloc", "allocUnsafe", "allocUnsafeSlow", "from", "concat"] as const).map((name): [Record<string, Maker>, string] => [Buffer as unknown as Record<string, Maker>, name]),
    [decipher, "update"],
    [decipher, "final"],
  ];
  const made: Buffer[] = [];
  const originals = makers.map(([owner, name]) => owner[name]!);
  makers.forEach(([owner, name], i) => {
    owner[name] = function (this: unknown, ...args: unknown[]) {
      const out = originals[i]!.apply(this, args);
      made.push(out);
      return out;
    };
  });
  try {
    run();
  } finally {
    makers.forEach(([owner, name], i) => (owner[name] = originals[i]!));
  }
  return made;
}

/** The slab of Node's shared 8 KiB Buffer pool that small allocations are cut from now. */
const poolSlab = () => Buffer.from(Buffer.allocUnsafe(1).buffer);

test("opening a lease leaves no copy of the plaintext key but the lease's own", () => {
  const asker = generatePeerKeyPair();
  const l = lease();
  const plaintext = Buffer.from(Uint8Array.from(l.key.plaintext).buffer);
  const sealed = sealLeaseToPeer(asker.publicKey, l, "k");
  const slabBefore = poolSlab();
  let opened: ReturnType<typeof openLeaseFromPeer> | undefined;
  const made = buffersMadeDuring(() => { opened = openLeaseFromPeer(sealed, asker, "k"); });
  assert.ok(opened !== undefined && Buffer.from(opened.key.plaintext.buffer).equals(plaintext));
  assert.ok(made.length > 0);
  for (const b of made) assert.ok(!b.includes(plaintext), `a ${b.length}-byte buffer made while opening still holds the key`);
  for (const slab of [slabBefore, poolSlab()]) assert.ok(!slab.includes(plaintext), "the shared Buffer pool holds the key");
});
