import { test } from "node:test";
import assert from "node:assert/strict";
import { createDecipheriv, randomBytes, randomFillSync } from "node:crypto";
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

/** Runs `run` while recording every buffer a decipher's update() or final() hands out. */
function decipherOutputsOf(run: () => void): Buffer[] {
  type Method = (this: unknown, ...args: unknown[]) => Buffer;
  const proto = Object.getPrototypeOf(createDecipheriv("aes-256-gcm", Buffer.alloc(32), Buffer.alloc(12))) as Record<"update" | "final", Method>;
  const original = { update: proto.update, final: proto.final };
  const outputs: Buffer[] = [];
  for (const name of ["update", "final"] as const) {
    proto[name] = function (this: unknown, ...args: unknown[]) {
      const out = original[name].apply(this, args);
      outputs.push(out);
      return out;
    };
  }
  try {
    run();
  } finally {
    Object.assign(proto, original);
  }
  return outputs;
}

/** A data key's worth of secret bytes, in a buffer of its own (not in Node's shared pool). */
const secretBytes = () => randomFillSync(Buffer.alloc(32));

test("aeadOpen leaves no copy of the plaintext but the one it returns, which is outside the shared Buffer pool", () => {
  const key = randomBytes(32);
  const secret = secretBytes();
  const sealed = aeadSeal(key, secret, enc.encode("id"));
  let opened: Uint8Array = new Uint8Array();
  const outputs = decipherOutputsOf(() => { opened = aeadOpen(key, sealed.nonce, sealed.ciphertext, enc.encode("id")); });
  assert.ok(Buffer.from(opened.buffer, opened.byteOffset, opened.length).equals(secret));
  // A view into the 8 KiB pool could not be zeroed without zeroing others' bytes, nor be sure to be the only copy.
  assert.equal(opened.buffer.byteLength, opened.length, "the plaintext has an ArrayBuffer of its own");
  assert.ok(outputs.length > 0);
  for (const out of outputs) assert.ok(out.every((b) => b === 0), `decipher output of ${out.length} bytes was not zeroed`);
});

test("aeadOpen zeroes the unauthenticated plaintext when the tag does not match", () => {
  const key = randomBytes(32);
  const sealed = aeadSeal(key, secretBytes(), enc.encode("id"));
  const outputs = decipherOutputsOf(() => assert.throws(() => aeadOpen(key, sealed.nonce, sealed.ciphertext, enc.encode("other"))));
  assert.ok(outputs.length > 0);
  for (const out of outputs) assert.ok(out.every((b) => b === 0), `decipher output of ${out.length} bytes was not zeroed`);
});

const turn = () => new Promise((resolve) => setImmediate(resolve));

test("data key cache expires by age and by uses, and zeroes keys that leave it", async () => {
  let now = 1_000;
  let calls = 0;
  const made: Uint8Array[] = [];
  const generate = async () => {
    calls += 1;
    const plaintext = Uint8Array.from([calls, 2, 3]);
    made.push(plaintext);
    return { plaintext, encrypted: Uint8Array.from([9]), keyId: `k${calls}` };
  };
  const cache = new DataKeyCache({ maxAgeMs: 100, maxUses: 2, maxEntries: 2, now: () => now });
  const first = await cache.take("a", generate);
  assert.equal((await cache.take("a", generate)).keyId, "k1", "second use of the same key");
  assert.deepEqual(first.plaintext, Uint8Array.from([1, 2, 3]), "callers get copies");
  assert.equal((await cache.take("a", generate)).keyId, "k2", "max uses reached: a new key");
  await turn();
  assert.deepEqual(made[0], Uint8Array.from([0, 0, 0]), "the used-up key was zeroed");
  now += 101;
  assert.equal((await cache.take("a", generate)).keyId, "k3", "max age reached: a new key");
  await turn();
  assert.deepEqual(made[1], Uint8Array.from([0, 0, 0]), "the expired key was zeroed");
});

test("data key cache retires a key at maxBytes of plaintext, reserved per take and charged beyond", async () => {
  let calls = 0;
  const generate = async () => {
    calls += 1;
    return { plaintext: Uint8Array.from([calls]), encrypted: Uint8Array.from([9]), keyId: `k${calls}` };
  };
  const cache = new DataKeyCache({ maxAgeMs: 60_000, maxUses: 100, maxBytes: 10_000, maxEntries: 2 });
  assert.equal((await cache.take("a", generate, { bytes: 4000 })).keyId, "k1");
  const second = await cache.take("a", generate, { bytes: 4000 });
  assert.equal(second.keyId, "k1", "8,000 of 10,000 bytes reserved");
  assert.equal((await cache.take("a", generate, { bytes: 4000 })).keyId, "k2", "a third reservation would pass maxBytes: a new key");
  assert.equal((await cache.take("a", generate, { bytes: 4000 })).keyId, "k2");
  // A reply larger than its reservation is charged to the key it was sealed with.
  (await cache.take("b", generate, { bytes: 1000 })).charge?.(8500);
  assert.equal((await cache.take("b", generate, { bytes: 1000 })).keyId, "k4", "9,500 charged + 1,000 would pass maxBytes");
});

test("data key cache holds at most maxEntries recipients", async () => {
  const cache = new DataKeyCache({ maxAgeMs: 1000, maxUses: 10, maxEntries: 2 });
  const generate = (name: string) => async () => ({ plaintext: Uint8Array.from([1]), encrypted: Uint8Array.from([1]), keyId: name });
  for (const name of ["a", "b", "c"]) await cache.take(name, generate(name));
  assert.equal(cache.size, 2);
  assert.equal((await cache.take("a", generate("a-again"))).keyId, "a-again", "the oldest recipient was evicted");
  assert.equal((await cache.take("c", generate("c-again"))).keyId, "c");
});

test("encryption context names exactly one recipient", () => {
  const ctx = encryptionContextFor({ tenant: "acme", principal: "demo-app" });
  assert.deepEqual(ctx, { "credvend:tenant": "acme", "credvend:principal": "demo-app" });
  assert.equal(contextNames(ctx, { tenant: "acme", principal: "demo-app" }), true);
  assert.equal(contextNames(ctx, { tenant: "acme", principal: "other" }), false);
  assert.equal(contextNames({ ...ctx, extra: "x" }, { tenant: "acme", principal: "demo-app" }), false);
});
