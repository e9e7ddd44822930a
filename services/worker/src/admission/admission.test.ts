import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeRequest, MAX_REQUEST_BYTES, requestSubject, type CredvendError } from "@credvend/protocol";
import { Admission, type Job, type Refused } from "./admission.js";

const LIMITS = {
  maxInFlight: 1, maxQueued: 10, maxQueuedBytes: 1_000_000, principalMaxInFlight: 1, principalMaxQueued: 1,
  tenantMaxInFlight: 1, tenantMaxQueued: 10, principalMaxWaiting: 10, overloadRetryAfterMs: 50,
};

function harness() {
  const runs: Job[] = [];
  const refusals: { refused: Refused; reason: string; retryAfterMs: number | undefined }[] = [];
  const admission = new Admission(LIMITS, {
    run: (job) => runs.push(job),
    refuse: (_replyTo, refused, error: CredvendError) => refusals.push({ refused, reason: error.reason, retryAfterMs: error.retryAfterMs }),
  });
  return { admission, runs, refusals };
}

const subject = requestSubject("acme", "app");
const request = (requestId: string, clientTimeMs = 1) => encodeRequest({ template: "t", requestId, clientTimeMs });

test("an oversized payload is refused before it is queued", () => {
  const { admission, runs, refusals } = harness();
  admission.admit({ subject, data: new Uint8Array(MAX_REQUEST_BYTES + 1) }, 0);
  assert.equal(runs.length, 0);
  assert.equal(admission.queued, 0);
  assert.deepEqual(refusals.map((r) => r.reason), ["CV_ERR_REQUEST_TOO_LARGE"]);
});

test("copies of a held request wait without a slot or a queue place, and are handed over when it finishes", () => {
  const { admission, runs, refusals } = harness();
  admission.admit({ subject, data: request("req-0001") }, 0);
  // Re-stamped copies (another client time) are the same request.
  for (let i = 0; i < 5; i += 1) admission.admit({ subject, data: request("req-0001", 2 + i), reply: `r${i}` }, 1);
  assert.equal(runs.length, 1);
  assert.equal(admission.queued, 0);
  assert.equal(admission.waiting, 5);
  assert.deepEqual(refusals, []);
  const [job] = runs;
  assert.ok(job);
  assert.deepEqual(admission.finish(job).map((w) => w.replyTo), ["r0", "r1", "r2", "r3", "r4"]);
  assert.equal(admission.waiting, 0);
});

test("past a principal's queue the refusal is OVERLOADED with the retry hint and the request id it read", () => {
  const { admission, runs, refusals } = harness();
  admission.admit({ subject, data: request("req-0001") }, 0);
  admission.admit({ subject, data: request("req-0002") }, 0);
  admission.admit({ subject, data: request("req-0003") }, 0);
  assert.equal(runs.length, 1);
  assert.equal(admission.queued, 1);
  assert.deepEqual(refusals.map((r) => [r.reason, r.retryAfterMs, r.refused.requestId]), [["CV_ERR_OVERLOADED", 50, "req-0003"]]);
  // The refused lead was forgotten: a later copy of it is admitted on its own, not parked behind nothing.
  const [first] = runs;
  assert.ok(first);
  admission.finish(first);
  admission.admit({ subject, data: request("req-0003") }, 0);
  assert.equal(admission.waiting, 0);
  assert.equal(admission.queued, 1);
});
