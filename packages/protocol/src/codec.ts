// Encoding and guarded decoding of the v1 messages. Decoding untrusted bytes throws inside
// protobufjs; here every such failure becomes a CredvendError with a reason.
import protobuf from "protobufjs/minimal.js";
import { credvend } from "../gen/credvend.js";
import { CredvendError } from "./errors.js";
import { checkRequestShape } from "./request-shape.js";

// int64 fields here are epoch milliseconds, far below 2^53. pbjs --force-number only changes the
// typings; protobufjs still reads int64 as Long objects while the `long` module is present. This
// (protobufjs's documented switch) makes every read return a plain number, matching the types.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();
import { codeFromWire, codeToWire, isReason, REASONS, type Reason } from "./codes.js";

export type CredentialRequest = credvend.v1.CredentialRequest;
export type CredentialRequestInit = credvend.v1.CredentialRequest.$Properties;
export type CredentialReply = credvend.v1.CredentialReply;
export type EncryptedCredentials = credvend.v1.EncryptedCredentials;
export type EncryptedCredentialsInit = credvend.v1.EncryptedCredentials.$Properties;
export type WireError = credvend.v1.Error;
export type PlainCredentialsMessage = credvend.v1.Credentials;

export const messages = credvend.v1;

/**
 * Largest request the vendor decodes (well under NATS's 1 MiB max_payload). It must hold a SAML
 * assertion as large as STS accepts (100,000 base64 characters; enterprise IdPs with many group
 * attributes send tens of kilobytes) plus the other fields.
 */
export const MAX_REQUEST_BYTES = 128 * 1024;

export function encodeRequest(init: CredentialRequestInit): Uint8Array {
  return credvend.v1.CredentialRequest.encode(init).finish();
}

export function decodeRequest(bytes: Uint8Array): CredentialRequest {
  if (bytes.length > MAX_REQUEST_BYTES) {
    throw new CredvendError("CV_ERR_REQUEST_TOO_LARGE", `request is ${bytes.length} bytes; the limit is ${MAX_REQUEST_BYTES}`);
  }
  // Bounds first (field and param counts, UTF-8), at the cost of reading the tags only: what a
  // refused payload costs is then independent of how many entries it packs into its bytes.
  checkRequestShape(bytes);
  try {
    return credvend.v1.CredentialRequest.decode(bytes);
  } catch (cause) {
    throw new CredvendError("CV_ERR_REQUEST_DECODE",
      `payload is not a valid credvend.v1.CredentialRequest protobuf (${describeDecodeFailure(cause)}); encode it with the proto in proto/credvend/v1`,
      { cause });
  }
}

export function encodeCredentials(init: credvend.v1.Credentials.$Properties): Uint8Array {
  return credvend.v1.Credentials.encode(init).finish();
}

export function decodeCredentials(bytes: Uint8Array): PlainCredentialsMessage {
  try {
    return credvend.v1.Credentials.decode(bytes);
  } catch (cause) {
    throw new CredvendError("CV_ERR_CLIENT_BAD_REPLY", "decrypted credentials are not a valid credvend.v1.Credentials message", { cause });
  }
}

export function encodeSuccessReply(requestId: string, credentials: EncryptedCredentialsInit, serverTimeMs: number, replayed = false): Uint8Array {
  return credvend.v1.CredentialReply.encode({ requestId, credentials, serverTimeMs, replayed }).finish();
}

export function errorToWire(error: CredvendError): credvend.v1.Error.$Properties {
  return {
    code: codeToWire(error.code),
    message: error.message,
    reason: error.reason,
    field: error.field ?? "",
    retryAfterMs: error.retryAfterMs ?? 0,
    retryable: error.retryable,
  };
}

export function encodeErrorReply(requestId: string, error: CredvendError, serverTimeMs: number): Uint8Array {
  return credvend.v1.CredentialReply.encode({ requestId, error: errorToWire(error), serverTimeMs }).finish();
}

/** Marks an encoded reply as replayed (served from the idempotency record). */
export function markReplayed(reply: Uint8Array): Uint8Array {
  const decoded = credvend.v1.CredentialReply.decode(reply);
  decoded.replayed = true;
  return credvend.v1.CredentialReply.encode(decoded).finish();
}

export function decodeReply(bytes: Uint8Array): CredentialReply {
  try {
    return credvend.v1.CredentialReply.decode(bytes);
  } catch (cause) {
    throw new CredvendError("CV_ERR_CLIENT_BAD_REPLY", `reply is not a valid credvend.v1.CredentialReply (${describeDecodeFailure(cause)})`, { cause });
  }
}

/** Turns a wire error back into a CredvendError on the requester's side. */
export function errorFromWire(error: credvend.v1.Error.$Properties): CredvendError {
  const reason: Reason = error.reason && isReason(error.reason) ? error.reason : "CV_ERR_INTERNAL";
  const result = new CredvendError(reason, error.message || REASONS[reason].summary, {
    field: error.field || undefined,
    retryAfterMs: error.retryAfterMs || undefined,
  });
  // The vendor's code wins over the local registry's if the two ever disagree (an older client).
  const wireCode = codeFromWire(error.code);
  if (wireCode !== result.code) Object.defineProperty(result, "code", { value: wireCode });
  return result;
}

function describeDecodeFailure(cause: unknown): string {
  const text = cause instanceof Error ? cause.message : String(cause);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** A decoded reply with defaults filled in, as the requester consumes it. */
export interface EnvelopeView {
  readonly encryptedDataKey: Uint8Array;
  readonly kmsKeyId: string;
  readonly encryptionContext: Readonly<Record<string, string>>;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly expirationMs: number;
  readonly assumedRoleArn: string;
  readonly accessKeyId: string;
  readonly sourceIdentity: string;
  readonly packedPolicySize: number;
  readonly senderPublicKey: Uint8Array;
  /** How the clear fields are bound into the ciphertext's additional data (0: not at all). */
  readonly binding: number;
}

export type ReplyView =
  | { readonly kind: "credentials"; readonly requestId: string; readonly replayed: boolean; readonly serverTimeMs: number; readonly envelope: EnvelopeView }
  | { readonly kind: "error"; readonly requestId: string; readonly replayed: boolean; readonly serverTimeMs: number; readonly error: CredvendError };

export function readReply(bytes: Uint8Array): ReplyView {
  const r = decodeReply(bytes);
  const base = { requestId: r.requestId, replayed: r.replayed, serverTimeMs: Number(r.serverTimeMs) };
  if (r.error) return { kind: "error", ...base, error: errorFromWire(r.error) };
  const c = r.credentials;
  if (!c) throw new CredvendError("CV_ERR_CLIENT_BAD_REPLY", "reply has neither credentials nor an error");
  const empty = new Uint8Array();
  return {
    kind: "credentials",
    ...base,
    envelope: {
      encryptedDataKey: c.encryptedDataKey ?? empty,
      kmsKeyId: c.kmsKeyId ?? "",
      encryptionContext: c.encryptionContext ?? {},
      nonce: c.nonce ?? empty,
      ciphertext: c.ciphertext ?? empty,
      expirationMs: Number(c.expirationMs ?? 0),
      assumedRoleArn: c.assumedRoleArn ?? "",
      accessKeyId: c.accessKeyId ?? "",
      sourceIdentity: c.sourceIdentity ?? "",
      packedPolicySize: c.packedPolicySize ?? 0,
      senderPublicKey: c.senderPublicKey ?? empty,
      binding: c.binding ?? 0,
    },
  };
}
