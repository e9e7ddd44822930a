import { test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError, decodeRequest, encodeErrorReply, encodeRequest, encodeSuccessReply } from "@credvend/protocol";
import type { Template } from "@credvend/policy";
import { auditOutcome, buildAuditEvent, MAX_AUDIT_PARAM_CHARS } from "./build-event.js";
import { auditMsgId, auditSubject, encodeAuditEvent } from "./event.js";

const template = { kind: "assume_role", role_arn: "arn:aws:iam::000000000000:role/demo", params: { bucket: { type: "string" } } } as unknown as Template;
const ctx = { workerId: "W1", template: (name: string) => (name === "s3" ? template : undefined) };
const record = { receivedAt: 1_000, deadlineMs: 11_000, identity: { tenant: "acme", principal: "app" }, requestId: "req-00000001", template: "s3" };
const marker = (what: string) => `${what}-SECRET-MARKER-7f3a`;
const payload = encodeRequest({
  requestId: "req-00000001", template: "s3", params: { bucket: "data", smuggled: marker("undeclared") }, clientTimeMs: 1, durationSeconds: 900,
  mfa: { serialNumber: "arn:aws:iam::000000000000:mfa/x", tokenCode: "908189" },
  federation: { webIdentityToken: marker("jwt"), samlAssertion: marker("saml") },
});
const reply = encodeSuccessReply("req-00000001", {
  encryptedDataKey: new TextEncoder().encode(marker("datakey")), kmsKeyId: "k", nonce: new Uint8Array(12), ciphertext: new TextEncoder().encode(marker("ciphertext")),
  expirationMs: 1_900_000, assumedRoleArn: "arn:aws:sts::000000000000:assumed-role/demo/acme.app.req", accessKeyId: "ASIAEXAMPLEEXAMPLE22", sourceIdentity: "app",
}, 2_000);

test("an issued decision names role, session, access key id, expiry and declared parameters only", () => {
  const e = buildAuditEvent({ record, error: undefined, outcome: "issued", reply, payload, decidedAt: 1_250 }, ctx);
  assert.equal(e.outcome, "issued");
  assert.deepEqual(e.params, { bucket: "data" });
  assert.equal(e.durationSeconds, 900);
  assert.equal(e.role, "arn:aws:iam::000000000000:role/demo");
  assert.equal(e.sessionName, "acme.app.req");
  assert.equal(e.accessKeyId, "ASIAEXAMPLEEXAMPLE22");
  assert.equal(e.expiresAt, new Date(1_900_000).toISOString());
  assert.equal(e.latencyMs, 250);
  assert.equal(e.workerId, "W1");
  const text = new TextDecoder().decode(encodeAuditEvent(e));
  assert.doesNotMatch(text, /SECRET-MARKER|908189/);
});

test("the request admission already decoded gives the same event as its payload (undeclared and secret fields stay out)", () => {
  const fromPayload = buildAuditEvent({ record, error: undefined, outcome: "issued", reply, payload, decidedAt: 1_250 }, ctx);
  const fromDecoded = buildAuditEvent({ record, error: undefined, outcome: "issued", reply, payload, request: decodeRequest(payload), decidedAt: 1_250 }, ctx);
  const { id: _a, ...a } = fromPayload;
  const { id: _b, ...b } = fromDecoded;
  assert.deepEqual(b, a);
  assert.deepEqual(b.params, { bucket: "data" });
  assert.doesNotMatch(new TextDecoder().decode(encodeAuditEvent(fromDecoded)), /SECRET-MARKER|908189/);
});

test("a refusal carries code, reason and retryability; long parameter values are cut", () => {
  const long = encodeRequest({ requestId: "req-00000001", template: "s3", params: { bucket: "x".repeat(5000) }, clientTimeMs: 1 });
  const error = new CredvendError("CV_ERR_PARAM_NOT_ALLOWED", "no");
  const e = buildAuditEvent({ record, error, outcome: "refused", reply: encodeErrorReply("req-00000001", error, 2_000), payload: long, decidedAt: 1_010 }, ctx);
  assert.deepEqual([e.outcome, e.code, e.reason, e.retryable, e.accessKeyId], ["denied", "PERMISSION_DENIED", "CV_ERR_PARAM_NOT_ALLOWED", false, undefined]);
  assert.equal(e.params?.["bucket"]?.length, MAX_AUDIT_PARAM_CHARS);
});

test("outcomes: replayed, refused (resource exhausted), failed (retryable infrastructure)", () => {
  assert.equal(auditOutcome({ error: undefined, outcome: "replayed" }), "replayed");
  assert.equal(auditOutcome({ error: new CredvendError("CV_ERR_OVERLOADED", "busy"), outcome: "refused" }), "refused");
  assert.equal(auditOutcome({ error: new CredvendError("CV_ERR_AWS_UNAVAILABLE", "down"), outcome: "refused" }), "failed");
});

test("two decisions about one request id get distinct message ids; unidentified messages have their own subject", () => {
  const a = buildAuditEvent({ record, error: undefined, outcome: "issued", reply, payload, decidedAt: 1_100 }, ctx);
  const b = buildAuditEvent({ record, error: undefined, outcome: "replayed", reply, payload, decidedAt: 1_200 }, ctx);
  const c = buildAuditEvent({ record, error: undefined, outcome: "replayed", reply, payload, decidedAt: 1_300 }, ctx);
  assert.equal(new Set([a, b, c].map(auditMsgId)).size, 3);
  assert.equal(auditMsgId(a), auditMsgId(a));
  assert.equal(auditSubject("acme", "app"), "credvend.v1.audit.acme.app");
  assert.equal(auditSubject(undefined, undefined), "credvend.v1.audit._._");
});
