import { test } from "node:test";
import assert from "node:assert/strict";
import { replyTarget } from "./boundary.js";
import type { RequestRecord } from "./pipeline/record.js";

const identity = { tenant: "acme", principal: "demo-app" };
const record = (extra: Partial<RequestRecord> = {}): RequestRecord => ({ receivedAt: 0, deadlineMs: 0, ...extra });

test("replies go to the requester's own namespace only", () => {
  assert.equal(replyTarget(record({ identity, requestId: "abcdefgh" }), "anything"), "credvend.v1.reply.acme.demo-app.abcdefgh");
  assert.equal(replyTarget(record({ identity }), "credvend.v1.reply.acme.demo-app.x1"), "credvend.v1.reply.acme.demo-app.x1");
  assert.equal(replyTarget(record({ identity }), "credvend.v1.reply.acme.other-app.x1"), undefined);
  assert.equal(replyTarget(record({ identity }), "_INBOX.abc"), undefined);
  // No identity: the message's reply subject, but never credvend's namespace or a system subject.
  assert.equal(replyTarget(record(), "_INBOX.abc.1"), "_INBOX.abc.1");
  for (const subject of ["credvend.v1.reply.acme.other-app.x1", "credvend.v1.req.acme.other-app", "$JS.API.STREAM.PURGE.audit", "$SRV.STATS"]) {
    assert.equal(replyTarget(record(), subject), undefined, subject);
  }
});
