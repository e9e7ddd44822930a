// The only place where failures become replies. Every request gets exactly one reply: the
// pipeline's result, or an error with a stable code; unknown failures are answered INTERNAL
// without detail (the completion line logs them in full).
import { CredvendError, encodeErrorReply, REPLY_PREFIX, replySubject, SUBJECT_PREFIX, isValidRequestId } from "@credvend/protocol";
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

export function errorReply(record: RequestRecord, error: CredvendError, now: number): Uint8Array {
  return encodeErrorReply(record.requestId && isValidRequestId(record.requestId) ? record.requestId : "", error, now);
}
