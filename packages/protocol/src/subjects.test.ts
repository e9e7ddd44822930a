import { test } from "node:test";
import assert from "node:assert/strict";
import { requestIdOfReplySubject } from "./subjects.js";

test("a refusal made before decoding names the request id of the requester's own reply subject, and only that", () => {
  const id = { tenant: "acme", principal: "demo-app" };
  assert.equal(requestIdOfReplySubject("credvend.v1.reply.acme.demo-app.req-00000001", id), "req-00000001");
  assert.equal(requestIdOfReplySubject("credvend.v1.reply.acme.other-app.req-00000001", id), undefined, "another principal's subject");
  assert.equal(requestIdOfReplySubject("credvend.v1.reply.acme.demo-app.a.b", id), undefined, "more tokens");
  assert.equal(requestIdOfReplySubject("credvend.v1.reply.acme.demo-app.short", id), undefined, "not a valid request id");
  assert.equal(requestIdOfReplySubject("_INBOX.abc", id), undefined);
  assert.equal(requestIdOfReplySubject(undefined, id), undefined);
});
