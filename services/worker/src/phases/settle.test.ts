import { test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { CredvendError, type Reason } from "@credvend/protocol";
import type { IdempotencyStore } from "@credvend/guard";
import type { RequestRecord } from "../pipeline/record.js";
import { settleClaim } from "./settle.js";

const identity = { tenant: "acme", principal: "demo-app" };
const NOW = 1_000_000;

function fakeStore() {
  const calls: string[] = [];
  const store = {
    async complete(_s: unknown, _id: string, _t: string, _r: Uint8Array, ttlMs?: number) { calls.push(`complete ${ttlMs}`); return true; },
    async release() { calls.push("release"); },
  } as unknown as IdempotencyStore;
  return { store, calls };
}

const claimed = (): RequestRecord => ({ receivedAt: 0, deadlineMs: 0, identity, requestId: "abcdefgh", claim: { scope: identity, requestId: "abcdefgh", token: "t", fingerprint: "fp" }, credentialsExpireAt: NOW + 900_000 });
const settle = async (reason: Reason | undefined) => {
  const { store, calls } = fakeStore();
  await settleClaim(store, claimed(), new Uint8Array([1]), reason ? new CredvendError(reason, "x") : undefined, pino({ level: "silent" }), { refusalTtlMs: 10_000, now: () => NOW });
  return calls;
};

test("a success is stored as long as its credentials live", async () => {
  assert.deepEqual(await settle(undefined), ["complete 900000"]);
});

test("refusals that depend only on the request are stored for seconds, not a day", async () => {
  for (const reason of ["CV_ERR_TEMPLATE_NOT_FOUND", "CV_ERR_NOT_ENTITLED", "CV_ERR_PARAM_INVALID", "CV_ERR_STS_REJECTED_INPUT", "CV_ERR_STS_TOKEN_REJECTED"] as const) {
    assert.deepEqual(await settle(reason), ["complete 10000"], String(reason));
  }
});

test("transient failures and refusals a retry may get past release the claim", async () => {
  // STS AccessDenied includes a wrong or expired MFA code (the claim is released so the same
  // request id may be retried with a fresh code); KMS and region refusals are the operator's to fix.
  for (const reason of ["CV_ERR_RATE_LIMITED", "CV_ERR_AWS_UNAVAILABLE", "CV_ERR_REDIS_UNAVAILABLE", "CV_ERR_DEADLINE_PASSED", "CV_ERR_INTERNAL",
    "CV_ERR_STS_ACCESS_DENIED", "CV_ERR_KMS_DENIED", "CV_ERR_KMS_KEY_NOT_FOUND", "CV_ERR_STS_REGION_DISABLED"] as const) {
    assert.deepEqual(await settle(reason), ["release"], reason);
  }
});
