// Settlement: what the idempotency record keeps once a request is answered. Successes are kept
// as long as their credentials live (never longer than the store's TTL); refusals that depend only
// on the request are kept for seconds, so a retry loop gets the same answer cheaply but a flood of
// junk does not fill Redis for a day; everything a retry may get past releases the claim.
import type { ErrorCodeName, Reason } from "@credvend/protocol";
import type { CredvendError } from "@credvend/protocol";
import type { IdempotencyStore } from "@credvend/guard";
import type { Logger } from "pino";
import type { RequestRecord } from "../pipeline/record.js";

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
  if (!claim) return "unclaimed";
  try {
    const ttlMs = keepFor(record, error, options);
    if (ttlMs !== undefined || !error) {
      const kept = await store.complete(claim.scope, claim.requestId, claim.token, reply, ttlMs);
      if (!kept) log.warn("idempotency claim was lost before completion (lease expired); a duplicate may have been served twice");
      return kept ? "stored" : "failed";
    }
    await store.release(claim.scope, claim.requestId, claim.token);
    return "released";
  } catch (cause) {
    // The reply still goes out; the claim's lease expires on its own.
    log.warn({ err: cause instanceof Error ? { type: cause.name, message: cause.message } : String(cause) }, "could not settle the idempotency record");
    return "failed";
  }
}
