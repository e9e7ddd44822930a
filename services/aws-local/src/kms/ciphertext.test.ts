import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { CiphertextError, encodeEncryptionContext, open, parseBlob, seal } from "./ciphertext.js";
import { deriveKeyMaterial, decodeSeedMaterial } from "./key-material.js";

const material = randomBytes(32);
const keyId = "1234abcd-12ab-34cd-56ef-1234567890ab";

describe("ciphertext blob", () => {
  it("round-trips and names its key", () => {
    const blob = seal(keyId, material, Buffer.from("hello"), { a: "1" });
    const parsed = parseBlob(blob);
    assert.equal(parsed.keyId, keyId);
    assert.equal(open(parsed, material, { a: "1" }).toString(), "hello");
  });

  it("stays within KMS's 6144-byte limit at the largest plaintext and key id", () => {
    assert.ok(seal("k".repeat(255), material, randomBytes(4096), {}).length <= 6144);
  });

  it("binds the encryption context, order-insensitively", () => {
    const blob = parseBlob(seal(keyId, material, Buffer.from("x"), { a: "1", b: "2" }));
    assert.equal(open(blob, material, { b: "2", a: "1" }).toString(), "x");
    const wrongs: Record<string, string>[] = [{}, { a: "1" }, { a: "1", b: "2", c: "3" }, { a: "1", b: "3" }, { A: "1", b: "2" }];
    for (const wrong of wrongs) {
      assert.throws(() => open(blob, material, wrong), CiphertextError);
    }
  });

  it("encodes contexts unambiguously (unlike key‖value concatenation)", () => {
    assert.notDeepEqual(encodeEncryptionContext({ ab: "c" }), encodeEncryptionContext({ a: "bc" }));
    const blob = parseBlob(seal(keyId, material, Buffer.from("x"), { ab: "c" }));
    assert.throws(() => open(blob, material, { a: "bc" }), CiphertextError);
  });

  it("detects tampering with any byte", () => {
    const blob = seal(keyId, material, Buffer.from("secret data"), {});
    for (let i = 0; i < blob.length; i++) {
      const bad = Buffer.from(blob);
      bad[i] = (bad[i] ?? 0) ^ 1;
      assert.throws(() => open(parseBlob(bad), material, {}), CiphertextError, `byte ${i}`);
    }
  });

  it("refuses garbage and truncated blobs", () => {
    assert.throws(() => parseBlob(Buffer.from("garbage")), CiphertextError);
    assert.throws(() => parseBlob(seal(keyId, material, Buffer.from("x"), {}).subarray(0, 40)), CiphertextError);
  });
});

describe("key material", () => {
  it("derives the same material for the same id, different for another", () => {
    assert.deepEqual(deriveKeyMaterial("a"), deriveKeyMaterial("a"));
    assert.notDeepEqual(deriveKeyMaterial("a"), deriveKeyMaterial("b"));
    assert.equal(deriveKeyMaterial("a").length, 32);
  });

  it("accepts only base64 of 32 bytes as seed material, without echoing it", () => {
    assert.equal(decodeSeedMaterial("k", randomBytes(32).toString("base64")).length, 32);
    const short = randomBytes(16).toString("base64");
    assert.throws(() => decodeSeedMaterial("k", short), (e: Error) => !e.message.includes(short));
  });
});
