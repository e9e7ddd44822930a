// The opener as a confused deputy: it calls KMS Decrypt, with the requester's own permissions, on
// a blob the reply chose. Whatever that blob turns out to be, the opener must use (and keep) only
// a 32-byte data key under the pinned key, and spend no Decrypt on an envelope it can refuse
// without one. KMS here is a stand-in that records its calls (aws-local is in test/src).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KMSClient } from "@aws-sdk/client-kms";
import { EnvelopeOpenError, EnvelopeOpener, type EnvelopeInput } from "./open.js";
import { encryptionContextFor } from "./context.js";

const KEY_ARN = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555";
const recipient = { tenant: "acme", principal: "demo-app" };

/** A KMS whose Decrypt returns `reply()` (a fresh plaintext each call), counting calls. */
function fakeKms(reply: () => { KeyId: string; Plaintext?: Uint8Array }) {
  const returned: Uint8Array[] = [];
  let calls = 0;
  const kms = {
    send: async () => {
      calls += 1;
      const out = reply();
      if (out.Plaintext) returned.push(out.Plaintext);
      return out;
    },
  } as unknown as KMSClient;
  return { kms, returned, calls: () => calls };
}

const envelope = (extra: Partial<EnvelopeInput> = {}): EnvelopeInput => ({
  kmsKeyId: KEY_ARN,
  encryptionContext: encryptionContextFor(recipient),
  expirationMs: Date.now() + 3_600_000,
  assumedRoleArn: "arn:aws:sts::000000000000:assumed-role/r/s",
  accessKeyId: "ASIAEXAMPLE",
  sourceIdentity: "",
  packedPolicySize: 1,
  encryptedDataKey: Uint8Array.from([1, 2, 3]),
  nonce: new Uint8Array(12),
  ciphertext: new Uint8Array(40),
  binding: 1,
  ...extra,
});

test("a Decrypt that yields anything but a 32-byte key is refused, zeroed, and not kept for the next reply", async () => {
  for (const length of [0, 16, 31, 33, 64]) {
    const secret = () => Uint8Array.from({ length }, (_, i) => i + 1);
    const k = fakeKms(() => ({ KeyId: KEY_ARN, Plaintext: secret() }));
    const opener = new EnvelopeOpener({ kms: k.kms, recipient, keyArn: KEY_ARN });
    for (let i = 0; i < 2; i += 1) {
      await assert.rejects(opener.open(envelope(), "req-00000001"), (e: unknown) => {
        assert.ok(e instanceof EnvelopeOpenError, String(e));
        assert.match(e.message, /not a 32-byte AES-256 data key/);
        // Not even the length of what the requester's KMS opened is echoed.
        assert.doesNotMatch(e.message, new RegExp(`\\b${length}\\b`));
        return true;
      });
    }
    assert.equal(k.calls(), 2, `length ${length}: a refused plaintext is not cached (each open asks KMS again)`);
    for (const p of k.returned) assert.ok(p.every((b) => b === 0), `length ${length}: the plaintext KMS returned is zeroed`);
  }
});

test("a data key decrypted under another key id is zeroed before the refusal", async () => {
  const k = fakeKms(() => ({ KeyId: KEY_ARN.replace("5555", "6666"), Plaintext: new Uint8Array(32).fill(9) }));
  const opener = new EnvelopeOpener({ kms: k.kms, recipient, keyArn: KEY_ARN });
  await assert.rejects(opener.open(envelope(), "req-00000001"), EnvelopeOpenError);
  assert.equal(k.returned.length, 1);
  assert.ok(k.returned[0]?.every((b) => b === 0));
});

test("a nonce or tag of the wrong size is refused without a KMS call", async () => {
  const k = fakeKms(() => ({ KeyId: KEY_ARN, Plaintext: new Uint8Array(32) }));
  const opener = new EnvelopeOpener({ kms: k.kms, recipient, keyArn: KEY_ARN });
  for (const bad of [{ nonce: new Uint8Array(0) }, { nonce: new Uint8Array(11) }, { nonce: new Uint8Array(16) }, { ciphertext: new Uint8Array(15) }]) {
    await assert.rejects(opener.open(envelope(bad), "req-00000001"), EnvelopeOpenError);
  }
  assert.equal(k.calls(), 0);
});
