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
