import { test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "./errors.js";
import { decodeRequest, encodeErrorReply, encodeRequest, encodeSuccessReply, markReplayed, MAX_REQUEST_BYTES, readReply } from "./codec.js";

test("absent int64 fields decode as the number 0, not a Long", () => {
  const decoded = decodeRequest(encodeRequest({ requestId: "abcdefgh", template: "t" }));
  assert.equal(decoded.deadlineMs, 0);
  assert.equal(decoded.clientTimeMs, 0);
  assert.equal(typeof decoded.deadlineMs, "number");
});

test("int64 timestamps round-trip as numbers", () => {
  const now = Date.now();
  const decoded = decodeRequest(encodeRequest({ requestId: "abcdefgh", clientTimeMs: now, deadlineMs: now + 5000 }));
  assert.equal(decoded.clientTimeMs, now);
  assert.equal(decoded.deadlineMs, now + 5000);
});

test("malformed protobuf is CV_ERR_REQUEST_DECODE, oversized is CV_ERR_REQUEST_TOO_LARGE", () => {
  for (const bad of [Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), Uint8Array.from([0x07]), Uint8Array.from([0x0a, 0x05, 0x61])]) {
    assert.throws(() => decodeRequest(bad), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_REQUEST_DECODE" && e.code === "INVALID_ARGUMENT");
  }
  assert.throws(() => decodeRequest(new Uint8Array(MAX_REQUEST_BYTES + 1)), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_REQUEST_TOO_LARGE");
});

test("error replies carry code, reason, field and retry-after to the requester", () => {
  const error = new CredvendError("CV_ERR_RATE_LIMITED", "slow down", { retryAfterMs: 250, field: "x" });
  const view = readReply(encodeErrorReply("abcdefgh", error, 1));
  assert.equal(view.kind, "error");
  if (view.kind !== "error") return;
  assert.equal(view.error.code, "RESOURCE_EXHAUSTED");
  assert.equal(view.error.reason, "CV_ERR_RATE_LIMITED");
  assert.equal(view.error.retryAfterMs, 250);
  assert.equal(view.error.field, "x");
  assert.equal(view.error.retryable, true);
});

test("markReplayed flags a stored reply without changing its content", () => {
  const reply = encodeSuccessReply("abcdefgh", { kmsKeyId: "k", accessKeyId: "ASIAEXAMPLE", expirationMs: 5 }, 1);
  const view = readReply(markReplayed(reply));
  assert.equal(view.replayed, true);
  assert.equal(view.kind === "credentials" && view.envelope.accessKeyId, "ASIAEXAMPLE");
});
