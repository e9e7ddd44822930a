// Sealer/opener concurrency: cached data keys and shared (single-flight) KMS calls.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { KMSClient } from "@aws-sdk/client-kms";
import { aeadOpen } from "./aead.js";
import { additionalDataFor } from "./context.js";
import { DataKeyCache } from "./data-key-cache.js";
import { EnvelopeOpener } from "./open.js";
import { EnvelopeSealer } from "./seal.js";

const recipient = { tenant: "acme", principal: "demo-app" };
const enc = new TextEncoder();

/** A fake KMS: GenerateDataKey returns a fresh random key (its "ciphertext" is the key itself, for the test to open with). */
function fakeKms(options: { delayMs?: number } = {}): { kms: KMSClient; generated: number } {
  const state = { generated: 0 };
  const kms = {
    async send(command: { constructor: { name: string }; input: { CiphertextBlob?: Uint8Array } }, opts?: { abortSignal?: AbortSignal }) {
      if (options.delayMs) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, options.delayMs);
          opts?.abortSignal?.addEventListener("abort", () => { clearTimeout(t); reject(Object.assign(new Error("aborted"), { name: "AbortError" })); }, { once: true });
        });
      }
      if (command.constructor.name === "DecryptCommand") return { Plaintext: Uint8Array.from(command.input.CiphertextBlob ?? []) };
      state.generated += 1;
      const key = randomBytes(32);
      return { Plaintext: Uint8Array.from(key), CiphertextBlob: Uint8Array.from(key), KeyId: "arn:aws:kms:us-east-1:000000000000:key/test" };
    },
  };
  return { kms: kms as unknown as KMSClient, get generated() { return state.generated; } };
}

test("a cached data key is never zeroed under a seal in progress (maxUses reached by a concurrent seal)", async () => {
  const { kms } = fakeKms();
  const sealer = new EnvelopeSealer({ kms, keyId: "alias/k", cache: new DataKeyCache({ maxAgeMs: 60_000, maxUses: 2, maxEntries: 10 }) });
  await sealer.seal(recipient, "req-00000001", enc.encode("first")); // generates and caches (1 use)
  // A takes the cached key's last use; B, in the same tick, finds it used up and evicts it (zeroing it).
  const [a, b] = await Promise.all([
    sealer.seal(recipient, "req-00000002", enc.encode("secret-a")),
    sealer.seal(recipient, "req-00000003", enc.encode("secret-b")),
  ]);
  const zero = new Uint8Array(32);
  for (const [sealed, id] of [[a, "req-00000002"], [b, "req-00000003"]] as const) {
    assert.throws(() => aeadOpen(zero, sealed.nonce, sealed.ciphertext, additionalDataFor(id)), "sealed under an all-zero key");
    // The envelope opens with the data key it names (the fake's "encrypted" key is the key).
    assert.ok(aeadOpen(sealed.encryptedDataKey, sealed.nonce, sealed.ciphertext, additionalDataFor(id)).length > 0);
  }
});

test("one caller's abort does not fail other callers sharing its GenerateDataKey call", async () => {
  const fake = fakeKms({ delayMs: 50 });
  const sealer = new EnvelopeSealer({ kms: fake.kms, keyId: "alias/k", cache: new DataKeyCache({ maxAgeMs: 60_000, maxUses: 100, maxEntries: 10 }) });
  const impatient = new AbortController();
  const first = sealer.seal(recipient, "req-00000001", enc.encode("a"), impatient.signal);
  const second = sealer.seal(recipient, "req-00000002", enc.encode("b"), new AbortController().signal);
  setTimeout(() => impatient.abort(new Error("first request's deadline")), 10);
  await assert.rejects(first, /first request's deadline/);
  const sealed = await second;
  assert.ok(aeadOpen(sealed.encryptedDataKey, sealed.nonce, sealed.ciphertext, additionalDataFor("req-00000002")).length > 0);
});

test("one caller's abort does not fail other callers sharing the opener's Decrypt call", async () => {
  const fake = fakeKms({ delayMs: 50 });
  const sealer = new EnvelopeSealer({ kms: fakeKms().kms, keyId: "alias/k", cache: new DataKeyCache({ maxAgeMs: 60_000, maxUses: 100, maxEntries: 10 }) });
  const [a, b] = [await sealer.seal(recipient, "req-00000001", enc.encode("a")), await sealer.seal(recipient, "req-00000002", enc.encode("b"))];
  assert.deepEqual(a.encryptedDataKey, b.encryptedDataKey, "one cached data key");
  const opener = new EnvelopeOpener(fake.kms, recipient);
  const impatient = new AbortController();
  const first = opener.open(a, "req-00000001", impatient.signal);
  const second = opener.open(b, "req-00000002");
  setTimeout(() => impatient.abort(new Error("caller gave up")), 10);
  await assert.rejects(first, /caller gave up/);
  assert.equal(Buffer.from(await second).toString(), "b");
});
