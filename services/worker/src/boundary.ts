// The only place where failures become replies. Every request gets exactly one reply: the
// pipeline's result, or an error with a stable code; unknown failures are logged in full here
// and answered INTERNAL without detail.
import { CredvendError, encodeErrorReply, REPLY_PREFIX, replySubject, requestIdOfReplySubject, SUBJECT_PREFIX, isValidRequestId, type ErrorCodeName, type Reason } from "@credvend/protocol";
import type { IdempotencyStore } from "@credvend/guard";
import type { Logger } from "pino";
import type { RequestRecord } from "./pipeline/record.js";

export class DeadlineReached extends Error {
  override readonly name = "DeadlineReached";
}
export class WorkerStopping extends Error {
  override readonly name = "WorkerStopping";
}

export function toCredvendError(error: unknown, record: RequestRecord): CredvendError {
  if (error instanceof CredvendError) return error;
  if (error instanceof DeadlineReached) {
    return new CredvendError("CV_ERR_DEADLINE_PASSED", `the request's deadline passed while it was being served (after ${Date.now() - record.receivedAt} ms); retry with the same request_id and a later deadline`, { cause: error });
  }
  if (error instanceof WorkerStopping) {
    return new CredvendError("CV_ERR_SHUTTING_DOWN", "this worker is shutting down; retry with the same request_id and another worker will serve it", { retryAfterMs: 100, cause: error });
  }
  return new CredvendError("CV_ERR_INTERNAL", `unexpected failure in the vendor (request_id '${record.requestId ?? "?"}'); the vendor's logs have the details`, { cause: error });
}

/**
 * Errors that depend only on the request (and the config at the time) are stored under the
 * idempotency key like successes, so a retry gets the same answer. Transient ones release the
 * key so a retry can do the work.
 */
const DETERMINATE: ReadonlySet<ErrorCodeName> = new Set(["INVALID_ARGUMENT", "UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND", "FAILED_PRECONDITION"]);
/**
 * Refusals with a determinate code that do not depend on the request alone, so they are not stored
 *: STS AccessDenied covers a wrong or expired MFA code, which the fingerprint leaves
 * out on purpose so a retry can carry a fresh one; KMS key-policy, missing-key and disabled-region
 * refusals are the operator's to fix. Stored, they were replayed to every retry for a day.
 */
const NOT_STORED: ReadonlySet<Reason> = new Set(["CV_ERR_STS_ACCESS_DENIED", "CV_ERR_KMS_DENIED", "CV_ERR_KMS_KEY_NOT_FOUND", "CV_ERR_STS_REGION_DISABLED"]);

export async function settleClaim(store: IdempotencyStore, record: RequestRecord, reply: Uint8Array, error: CredvendError | undefined, log: Logger): Promise<void> {
  const claim = record.claim;
  if (!claim) return;
  try {
    if (!error || (DETERMINATE.has(error.code) && !NOT_STORED.has(error.reason))) {
      // Credentials past their expiry are worth nothing: a retry after that gets fresh ones.
      const kept = await store.complete(claim.scope, claim.requestId, claim.token, reply,
        record.credentialsExpireAt === undefined ? undefined : record.credentialsExpireAt - Date.now());
      if (!kept) log.warn("idempotency claim was lost before completion (lease expired); a duplicate may have been served twice");
    } else {
      await store.release(claim.scope, claim.requestId, claim.token);
    }
  } catch (cause) {
    // The reply still goes out; the claim's lease expires on its own.
    log.warn({ err: cause instanceof Error ? { type: cause.name, message: cause.message } : String(cause) }, "could not settle the idempotency record");
  }
}

/**
 * Where the reply goes: the requester's own reply subject when the request id is known; else the
 * message's reply subject, but only inside the requester's own reply namespace (a payload or reply
 * field can never direct a reply to somebody else).
 */
export function replyTarget(record: RequestRecord, msgReply: string | undefined): string | undefined {
  const id = record.identity;
  if (id && record.requestId && isValidRequestId(record.requestId)) return replySubject(id.tenant, id.principal, record.requestId);
  if (id && msgReply?.startsWith(`${REPLY_PREFIX}.${id.tenant}.${id.principal}.`)) return msgReply;
  // No identity (a subject that names no valid tenant/principal): answer on the message's own
  // reply subject, but never into credvend's namespace (another requester's replies, or a request
  // subject) nor a system subject ($JS, $SRV, $SYS) with the vendor's permissions.
  if (!id && msgReply && !msgReply.startsWith(`${SUBJECT_PREFIX.split(".")[0]}.`) && !msgReply.startsWith("$")) return msgReply;
  return undefined;
}

/**
 * The error reply, naming the request it answers: the decoded request id, else the one the
 * requester's own reply subject names (a refusal before decoding, e.g. overload), since clients
 * ignore error replies that name no request id (anyone could have sent those).
 */
export function errorReply(record: RequestRecord, error: CredvendError, now: number, msgReply?: string): Uint8Array {
  const decoded = record.requestId && isValidRequestId(record.requestId) ? record.requestId : undefined;
  const fromSubject = record.identity ? requestIdOfReplySubject(msgReply, record.identity) : undefined;
  return encodeErrorReply(decoded ?? fromSubject ?? "", error, now);
}
