// What admission needs to know of a payload before it is queued: its request id and content
// fingerprint, to let duplicates wait for the first copy. Admission never refuses on what it
// reads here: a payload that does not decode is simply not coalesced, and the pipeline answers it.
// The decoded request goes on with the job, so neither the pipeline nor the audit decodes it again.
import { decodeRequest, isValidRequestId, type CredentialRequest } from "@credvend/protocol";
import { requestFingerprint } from "../stages/fingerprint.js";
import type { Peeked } from "./coalescer.js";

export interface PeekedRequest extends Peeked {
  readonly request: CredentialRequest;
}

export function peekRequest(data: Uint8Array): PeekedRequest | undefined {
  try {
    const request = decodeRequest(data);
    if (!isValidRequestId(request.requestId)) return undefined;
    return { requestId: request.requestId, fingerprint: requestFingerprint(request), request };
  } catch {
    return undefined;
  }
}
