import { test } from "node:test";
import assert from "node:assert/strict";
import { messages } from "@credvend/protocol";
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
