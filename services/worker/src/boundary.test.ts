import { test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { CredvendError, type Reason } from "@credvend/protocol";
import type { IdempotencyStore } from "@credvend/guard";
import { replyTarget, settleClaim } from "./boundary.js";
import type { RequestRecord } from "./pipeline/record.js";

const identity = { tenant: "acme", principal: "demo-app" };
const record = (extra: Partial<RequestRecord> = {}): RequestRecord => ({ receivedAt: 0, deadlineMs: 0, awsMs: 0, ...extra });

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

function fakeStore() {
  const calls: string[] = [];
  const store = {
    async complete() { calls.push("complete"); return true; },
    async release() { calls.push("release"); },
  } as unknown as IdempotencyStore;
  return { store, calls };
}

const claimed = () => record({ identity, requestId: "abcdefgh", claim: { scope: identity, requestId: "abcdefgh", token: "t" } });
const settle = async (reason: Reason | undefined) => {
  const { store, calls } = fakeStore();
  await settleClaim(store, claimed(), new Uint8Array([1]), reason ? new CredvendError(reason, "x") : undefined, pino({ level: "silent" }));
  return calls;
};

test("successes and refusals that depend only on the request are stored for replays", async () => {
  for (const reason of [undefined, "CV_ERR_TEMPLATE_NOT_FOUND", "CV_ERR_NOT_ENTITLED", "CV_ERR_PARAM_INVALID", "CV_ERR_STS_REJECTED_INPUT", "CV_ERR_STS_TOKEN_REJECTED"] as const) {
    assert.deepEqual(await settle(reason), ["complete"], String(reason));
  }
});

test("transient failures and refusals a retry may get past release the claim", async () => {
  // STS AccessDenied includes a wrong or expired MFA code, which the fingerprint deliberately
  // ignores so that a retry can carry a fresh one; KMS and region refusals are the operator's to
  // fix. Caching them would replay the refusal for a day to every retry of the request id.
  for (const reason of ["CV_ERR_RATE_LIMITED", "CV_ERR_AWS_UNAVAILABLE", "CV_ERR_REDIS_UNAVAILABLE", "CV_ERR_DEADLINE_PASSED", "CV_ERR_INTERNAL",
    "CV_ERR_STS_ACCESS_DENIED", "CV_ERR_KMS_DENIED", "CV_ERR_KMS_KEY_NOT_FOUND", "CV_ERR_STS_REGION_DISABLED"] as const) {
    assert.deepEqual(await settle(reason), ["release"], reason);
  }
});
