// Settlement: what the idempotency record keeps once a request is answered. Successes are kept
// as long as their credentials live (never longer than the store's TTL); refusals that depend only
// on the request are kept for seconds, so a retry loop gets the same answer cheaply but a flood of
// junk does not fill Redis for a day; everything a retry may get past releases the claim.
import { CredvendError, type ErrorCodeName, type Reason } from "@credvend/protocol";
import { REDIS_RETRY_AFTER_MS, type IdempotencyStore } from "@credvend/guard";
import type { Logger } from "pino";
import { completeWithRetry } from "../aws/late-settlement.js";
import { errorReply } from "../boundary.js";
import type { RequestRecord } from "../pipeline/record.js";
import type { Served } from "./serve.js";

export interface SettleOptions {
  /** How long a stored refusal answers retries. */
  readonly refusalTtlMs: number;
  readonly now: () => number;
}

export type Settlement = "stored" | "released" | "unclaimed" | "failed";

const DETERMINATE: ReadonlySet<ErrorCodeName> = new Set(["INVALID_ARGUMENT", "UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND", "FAILED_PRECONDITION"]);
/**
 * Determinate codes that do not depend on the request alone, so they are not stored: STS
 * AccessDenied covers a wrong or expired MFA code (a retry with a fresh code may pass) and trust
 * policies being fixed; KMS key-policy, missing-key and disabled-region refusals are the
 * operator's to fix.
 */
const NOT_STORED: ReadonlySet<Reason> = new Set(["CV_ERR_STS_ACCESS_DENIED", "CV_ERR_KMS_DENIED", "CV_ERR_KMS_KEY_NOT_FOUND", "CV_ERR_STS_REGION_DISABLED"]);

/** How long the record of this outcome is kept, or undefined if it must not be kept. */
export function keepFor(record: RequestRecord, error: CredvendError | undefined, options: SettleOptions): number | undefined {
  if (!error) {
    // Credentials past their expiry are worth nothing: a retry after that gets fresh ones.
    return record.credentialsExpireAt === undefined ? undefined : Math.max(1, record.credentialsExpireAt - options.now());
  }
  return DETERMINATE.has(error.code) && !NOT_STORED.has(error.reason) ? options.refusalTtlMs : undefined;
}

export async function settleClaim(store: IdempotencyStore, record: RequestRecord, reply: Uint8Array, error: CredvendError | undefined, log: Logger, options: SettleOptions): Promise<Settlement> {
  const claim = record.claim;
  if (!claim || record.claimHandedOver) return "unclaimed";
  const ttlMs = keepFor(record, error, options);
  try {
    if (ttlMs !== undefined || !error) {
      // The fingerprint lets a success be written even if its claim lapsed meanwhile.
      const kept = await store.complete(claim.scope, claim.requestId, claim.token, reply, ttlMs, error ? "" : claim.fingerprint);
      if (!kept) log.warn("idempotency claim was lost before completion (lease expired); a duplicate may have been served twice");
      return kept ? "stored" : "failed";
    }
    await store.release(claim.scope, claim.requestId, claim.token);
    return "released";
  } catch (cause) {
    log.warn({ err: cause instanceof Error ? { type: cause.name, message: cause.message } : String(cause) }, "could not settle the idempotency record");
    // A success is held back (withheld below) and must still be stored, or its retry would be
    // issued other credentials: keep trying in the background (the sealed reply, never
    // plaintext, waits in memory). Anything else: the claim's lease expires on its own.
    if (!error) {
      completeWithRetry(store, claim, reply, ttlMs ?? 1, log).catch(() =>
        log.error({ requestId: claim.requestId }, "a success could not be stored in Redis; a retry of this request id may be issued new credentials"));
    }
    return "failed";
  }
}

/**
 * What the requester gets for a success whose record Redis did not take ("failed"): not the
 * credentials. Handed out unrecorded, they would be one of two if a retry found the claim's lease
 * lapsed (Redis away for longer than a lease, as in a Redis Cluster failover) and was issued
 * others. The sealed reply stays with completeWithRetry, so the retry replays it once Redis has
 * it; if another claim won meanwhile, these credentials are never handed out at all.
 */
export function withheld(served: Served, settlement: Settlement, now: number): Served {
  if (settlement !== "failed" || served.error !== undefined) return served;
  const error = new CredvendError("CV_ERR_REDIS_UNAVAILABLE",
    `the credentials for request_id '${served.record.requestId ?? ""}' were issued but Redis has not recorded them, so they are held back until it does; retry with the same request_id to get them`,
    { retryAfterMs: REDIS_RETRY_AFTER_MS });
  return { ...served, error, outcome: "refused", reply: errorReply(served.record, error, now) };
}
