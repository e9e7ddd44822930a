// Decides what one message on a request's reply subject is. Anyone who may publish there can put
// a message there, so a reply counts only when it is bound to this request: an error reply must
// name this request id; credentials must open under the pinned reply key, for this requester,
// with every clear field as sealed, and must not have expired. Anything else is refused, and the
// client keeps waiting for the real reply.
import { EnvelopeOpenError, SealedReplyOpenError, transientAwsFailure, type EnvelopeInput } from "@credvend/envelope";
import { CredvendError, decodeCredentials, readReply, type ReplyView } from "@credvend/protocol";
import { printable } from "./printable.js";

export interface VendedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  /** assumed-role or federated-user ARN (empty for GetSessionToken). */
  readonly arn: string;
  readonly sourceIdentity: string;
  readonly requestId: string;
  /**
   * The vendor says it served this from its idempotency record. Unauthenticated: a replay resends
   * the sealed envelope as it was, so this flag sits outside the AES-GCM additional data and
   * whoever may publish on the reply subject can flip it. For logs and metrics, never a decision.
   */
  readonly replayed: boolean;
}

export type Verdict =
  | { readonly kind: "credentials"; readonly credentials: VendedCredentials }
  /** The vendor's refusal of this request. */
  | { readonly kind: "error"; readonly error: CredvendError }
  /** Not a reply this client can trust; ignored. */
  | { readonly kind: "refused"; readonly error: CredvendError }
  /** The requester's own KMS could not be used just now; the reply may be genuine. */
  | { readonly kind: "kms-unavailable"; readonly error: CredvendError };

/** Opens an envelope for this requester: the KMS EnvelopeOpener, or the request's own X25519 key. */
export interface ReplyOpener {
  open(envelope: EnvelopeInput, requestId: string, signal?: AbortSignal): Promise<Uint8Array>;
}

/** What the synchronous checks make of a message: a reply to this request (still unverified), or a refusal. */
export type Screened = { readonly kind: "candidate"; readonly reply: ReplyView } | { readonly kind: "refused"; readonly error: CredvendError };

/**
 * The checks that need no key and no wait (it decodes, and it names this request), cheap enough to
 * run on every message as it arrives: junk and replies to other requests never take a place in the
 * queue of messages waiting for the slower checks, however many of them a forger publishes.
 */
export function screenReply(bytes: Uint8Array, requestId: string): Screened {
  let reply: ReplyView;
  try {
    reply = readReply(bytes);
  } catch (error) {
    return { kind: "refused", error: asBadReply(error) };
  }
  if (reply.requestId !== requestId) {
    const named = reply.requestId ? `request '${printable(reply.requestId, 140)}'` : "no request id";
    return { kind: "refused", error: new CredvendError("CV_ERR_CLIENT_BAD_REPLY", `a ${reply.kind === "error" ? "error" : "credentials"} reply on this request's subject names ${named}, not '${requestId}'`) };
  }
  return { kind: "candidate", reply };
}

export async function verifyReply(bytes: Uint8Array, requestId: string, opener: ReplyOpener, now: () => number, signal?: AbortSignal): Promise<Verdict> {
  const screened = screenReply(bytes, requestId);
  if (screened.kind === "refused") return screened;
  const reply = screened.reply;
  if (reply.kind === "error") return { kind: "error", error: fromVendor(reply.error) };

  const envelope = reply.envelope;
  let plaintext: Uint8Array;
  try {
    plaintext = await opener.open(envelope, requestId, signal);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof EnvelopeOpenError || error instanceof SealedReplyOpenError) return refused("CV_ERR_CLIENT_DECRYPT", `refused a reply: ${error.message}`, error);
    const transient = transientAwsFailure(error);
    const what = `KMS Decrypt failed (${describe(error)})`;
    if (transient) {
      return { kind: "kms-unavailable", error: new CredvendError("CV_ERR_AWS_UNAVAILABLE", `the requester's KMS could not decrypt the reply now: ${what}; retry later`, { cause: error, retryAfterMs: 1000 }) };
    }
    return refused("CV_ERR_CLIENT_DECRYPT", `cannot decrypt the reply with this requester's AWS identity: ${what}`, error);
  }
  let creds;
  try {
    creds = decodeCredentials(plaintext);
  } catch (error) {
    return { kind: "refused", error: asBadReply(error) };
  } finally {
    plaintext.fill(0);
  }
  // The clear copies are bound by the ciphertext already; these catch a sealer that put one thing
  // in clear and another inside.
  if (creds.accessKeyId !== envelope.accessKeyId) {
    return refused("CV_ERR_CLIENT_BAD_REPLY", `reply's clear access key id '${printable(envelope.accessKeyId, 140)}' differs from the sealed one '${creds.accessKeyId}'`);
  }
  const expirationMs = Number(creds.expirationMs);
  if (expirationMs !== envelope.expirationMs) {
    return refused("CV_ERR_CLIENT_BAD_REPLY", `reply's clear expiry ${envelope.expirationMs} differs from the sealed one ${expirationMs}`);
  }
  if (!(expirationMs > now())) {
    return refused("CV_ERR_CLIENT_BAD_REPLY", `reply's credentials expired at ${new Date(expirationMs).toISOString()}`);
  }
  return {
    kind: "credentials",
    credentials: {
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      sessionToken: creds.sessionToken,
      expiration: new Date(expirationMs),
      arn: envelope.assumedRoleArn,
      sourceIdentity: envelope.sourceIdentity,
      requestId,
      replayed: reply.replayed,
    },
  };
}

/** Every refusal's text is printable: it quotes what a forger sent (key ids, KMS's account of them). */
function refused(reason: "CV_ERR_CLIENT_BAD_REPLY" | "CV_ERR_CLIENT_DECRYPT", message: string, cause?: unknown): Verdict {
  return { kind: "refused", error: new CredvendError(reason, printable(message, 2000), cause === undefined ? {} : { cause }) };
}

/**
 * An error reply as the caller sees it. Nothing authenticates an error reply (v1 carries no MAC or
 * signature on it: whoever may publish here can forge one), so its text and field are wire text:
 * printable, bounded. Code, reason,
 * retryability and retry-after come from the registry and the wire's numbers, not from text.
 */
function fromVendor(error: CredvendError): CredvendError {
  const message = printable(error.message);
  const field = error.field === undefined ? undefined : printable(error.field, 140);
  if (message === error.message && field === error.field) return error;
  const clean = new CredvendError(error.reason, message, { ...(field !== undefined ? { field } : {}), ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) });
  if (clean.code !== error.code) Object.defineProperty(clean, "code", { value: error.code });
  return clean;
}

function asBadReply(error: unknown): CredvendError {
  return error instanceof CredvendError ? error : new CredvendError("CV_ERR_CLIENT_BAD_REPLY", `unreadable reply (${describe(error)})`, { cause: error });
}

/** Name and message of an SDK error, trimmed: KMS messages name keys and ARNs, never secrets. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const text = `${error.name}: ${error.message}`.replace(/\s+/g, " ");
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
