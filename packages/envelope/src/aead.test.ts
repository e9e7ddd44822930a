import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { aeadOpen, aeadSeal } from "./aead.js";
import { DataKeyCache } from "./data-key-cache.js";
import { contextNames, encryptionContextFor } from "./context.js";

const enc = new TextEncoder();

test("seal/open round trip binds the additional data", () => {
  const key = randomBytes(32);
  const sealed = aeadSeal(key, enc.encode("secret"), enc.encode("req-00000001"));
  assert.deepEqual(Buffer.from(aeadOpen(key, sealed.nonce, sealed.ciphertext, enc.encode("req-00000001"))).toString(), "secret");
  assert.throws(() => aeadOpen(key, sealed.nonce, sealed.ciphertext, enc.encode("req-00000002")));
});

test("tampered ciphertext, wrong key and short input are refused", () => {
  const key = randomBytes(32);
  const sealed = aeadSeal(key, enc.encode("secret"), enc.encode("id"));
  const tampered = Uint8Array.from(sealed.ciphertext);
  tampered[0] = (tampered[0] ?? 0) ^ 1;
  assert.throws(() => aeadOpen(key, sealed.nonce, tampered, enc.encode("id")));
  assert.throws(() => aeadOpen(randomBytes(32), sealed.nonce, sealed.ciphertext, enc.encode("id")));
  assert.throws(() => aeadOpen(key, sealed.nonce, new Uint8Array(3), enc.encode("id")), /shorter than/);
  assert.throws(() => aeadSeal(randomBytes(16), enc.encode("x"), enc.encode("id")), /32-byte key/);
});

test("nonces are fresh per seal", () => {
  const key = randomBytes(32);
  const a = aeadSeal(key, enc.encode("x"), enc.encode("id"));
  const b = aeadSeal(key, enc.encode("x"), enc.encode("id"));
  assert.notDeepEqual(a.nonce, b.nonce);
});

test("data key cache expires by age and by uses, and zeroes evicted keys", () => {
  let now = 1_000;
  const cache = new DataKeyCache({ maxAgeMs: 100, maxUses: 2, maxEntries: 2, now: () => now });
  const key = { plaintext: Uint8Array.from([1, 2, 3]), encrypted: Uint8Array.from([9]), keyId: "k" };
  cache.put("a", key);
  assert.equal(cache.take("a")?.keyId, "k"); // second use
  assert.equal(cache.take("a"), undefined); // max uses reached
  assert.deepEqual(key.plaintext, Uint8Array.from([0, 0, 0]));
  const other = { plaintext: Uint8Array.from([4]), encrypted: Uint8Array.from([9]), keyId: "k" };
  cache.put("b", other);
  now += 101;
  assert.equal(cache.take("b"), undefined);
  assert.deepEqual(other.plaintext, Uint8Array.from([0]));
});

test("data key cache holds at most maxEntries recipients", () => {
  const cache = new DataKeyCache({ maxAgeMs: 1000, maxUses: 10, maxEntries: 2 });
  for (const name of ["a", "b", "c"]) cache.put(name, { plaintext: Uint8Array.from([1]), encrypted: Uint8Array.from([1]), keyId: name });
  assert.equal(cache.size, 2);
  assert.equal(cache.take("a"), undefined);
  assert.equal(cache.take("c")?.keyId, "c");
});

test("encryption context names exactly one recipient", () => {
  const ctx = encryptionContextFor({ tenant: "acme", principal: "demo-app" });
  assert.deepEqual(ctx, { "credvend:tenant": "acme", "credvend:principal": "demo-app" });
  assert.equal(contextNames(ctx, { tenant: "acme", principal: "demo-app" }), true);
  assert.equal(contextNames(ctx, { tenant: "acme", principal: "other" }), false);
  assert.equal(contextNames({ ...ctx, extra: "x" }, { tenant: "acme", principal: "demo-app" }), false);
});
