import { test } from "node:test";
import assert from "node:assert/strict";
import { messages } from "@credvend/protocol";
import protobuf from "protobufjs";
import { fileURLToPath } from "node:url";
import { requestFingerprint } from "./fingerprint.js";

const req = (p: Record<string, unknown>) => messages.CredentialRequest.create({ requestId: "abcdefgh", template: "t", params: { a: "1", b: "2" }, ...p });

test("timing fields and parameter order do not change the fingerprint", () => {
  const base = requestFingerprint(req({}));
  assert.equal(requestFingerprint(req({ clientTimeMs: 5, deadlineMs: 9 })), base);
  assert.equal(requestFingerprint(req({ params: { b: "2", a: "1" } })), base);
});

test("content changes it, without ambiguity between fields", () => {
  const base = requestFingerprint(req({}));
  for (const p of [{ template: "u" }, { params: { a: "1", b: "3" } }, { params: { a: "12" } }, { durationSeconds: 900 }, { onBehalfOf: "x" },
    { federation: { webIdentityToken: "tok" } }, { mfa: { serialNumber: "arn:aws:iam::0:mfa/x" } }, { mfa: { serialNumber: "", tokenCode: "123456" } }]) {
    assert.notEqual(requestFingerprint(req(p)), base, JSON.stringify(p));
  }
  assert.notEqual(requestFingerprint(req({ params: { a: "1b", b: "" } })), requestFingerprint(req({ params: { a: "1", b: "b" } })));
});

test("another MFA code is another request, and the code never appears in the fingerprint", () => {
  const a = requestFingerprint(req({ mfa: { serialNumber: "arn:aws:iam::0:mfa/x", tokenCode: "123456" } }));
  const b = requestFingerprint(req({ mfa: { serialNumber: "arn:aws:iam::0:mfa/x", tokenCode: "654321" } }));
  assert.notEqual(a, b);
  assert.ok(!a.includes("123456"));
});

test("the fingerprint of a request is the same in every version: records stored by one are matched by the next", () => {
  // A rolling upgrade has old and new workers serving retries of the same request ids.
  assert.equal(requestFingerprint(req({ template: "s3-read", params: { bucket: "b", prefix: "p/" }, durationSeconds: 900 })), "2AdzqOZKaZLlzgTqAdjsu8Mn5NI1YKEXKCiYUhYudb8");
  assert.equal(requestFingerprint(req({
    params: { z: "\u00fc", a: "" }, durationSeconds: 3600, onBehalfOf: "other",
    mfa: { serialNumber: "arn:aws:iam::1:mfa/u", tokenCode: "123456" },
    federation: { webIdentityToken: "eyJ.x.y", providerId: "idp", samlAssertion: "PHNhbWw+", samlProviderArn: "arn:aws:iam::1:saml-provider/p" },
    replyPublicKey: new Uint8Array(32).fill(7),
  })), "98v8eXPkuN5eBSCYHbFTerqxIxJ3FU1w7mWEL8xXtfo");
});

/** Fields that are not what was asked for: the key itself, timing (a retry is re-stamped) and the client's name. */
const NOT_CONTENT = new Set(["requestId", "clientTimeMs", "deadlineMs", "clientVersion"]);

test("every field of CredentialRequest in the .proto is content or named as not content (a new field can not slip past)", () => {
  // A field left out of the fingerprint would let a retry with other content be handed the stored
  // reply of the first: so the schema itself is walked, nested messages included.
  const root = protobuf.loadSync(fileURLToPath(new URL("../../../../proto/credvend/v1/credvend.proto", import.meta.url)));
  const base = requestFingerprint(req({}));
  const sample = (field: protobuf.Field): unknown => {
    if (field.map) return { k: "v" };
    if (field.resolvedType instanceof protobuf.Type) return field.resolvedType;
    if (field.type === "bytes") return new Uint8Array(32).fill(9);
    if (field.type === "string") return "x";
    return 7;
  };
  const walk = (type: protobuf.Type, wrap: (v: Record<string, unknown>) => Record<string, unknown>, path: string): number => {
    let checked = 0;
    for (const field of type.fieldsArray) {
      const name = field.name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
      if (path === "" && NOT_CONTENT.has(name)) continue;
      const value = sample(field.resolve());
      if (value instanceof protobuf.Type) {
        checked += walk(value, (v) => wrap({ [name]: v }), `${path}${name}.`);
        continue;
      }
      assert.notEqual(requestFingerprint(req(wrap({ [name]: value }))), base, `${path}${name} must change the fingerprint`);
      checked += 1;
    }
    return checked;
  };
  const checked = walk(root.lookupType("credvend.v1.CredentialRequest"), (v) => v, "");
  assert.ok(checked >= 11, `only ${checked} content fields found: is the .proto path right?`);
});
