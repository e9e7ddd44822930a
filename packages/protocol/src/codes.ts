// Stable error codes (the proto enum, by name) and the registry of specific reasons.
// A reason is permanent: never reuse or rename one; retire it by leaving it here with `retired`.
import { credvend } from "../gen/credvend.js";

export const ErrorCode = credvend.v1.ErrorCode;
export type ErrorCodeName =
  | "INVALID_ARGUMENT"
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | "NOT_FOUND"
  | "FAILED_PRECONDITION"
  | "RESOURCE_EXHAUSTED"
  | "UNAVAILABLE"
  | "DEADLINE_EXCEEDED"
  | "INTERNAL";

export const ERROR_CODE_NAMES: readonly ErrorCodeName[] = [
  "INVALID_ARGUMENT", "UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND", "FAILED_PRECONDITION",
  "RESOURCE_EXHAUSTED", "UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL",
];

export function codeToWire(code: ErrorCodeName): credvend.v1.ErrorCode {
  return ErrorCode[`ERROR_CODE_${code}`];
}

export function codeFromWire(code: number | null | undefined): ErrorCodeName {
  const name = code == null ? undefined : ErrorCode[code];
  const short = typeof name === "string" ? name.replace(/^ERROR_CODE_/, "") : "";
  return (ERROR_CODE_NAMES as readonly string[]).includes(short) ? (short as ErrorCodeName) : "INTERNAL";
}

export interface ReasonSpec {
  readonly code: ErrorCodeName;
  /** Whether the same request may succeed if sent again later. */
  readonly retryable: boolean;
  /** What the reason means, for docs. */
  readonly summary: string;
}

export const REASONS = {
  // Request shape
  CV_ERR_REQUEST_DECODE: { code: "INVALID_ARGUMENT", retryable: false, summary: "The payload is not a credvend.v1.CredentialRequest protobuf." },
  CV_ERR_REQUEST_TOO_LARGE: { code: "INVALID_ARGUMENT", retryable: false, summary: "The request is larger than the vendor accepts." },
  CV_ERR_REQUEST_SUBJECT: { code: "INVALID_ARGUMENT", retryable: false, summary: "The subject does not name a valid tenant and principal." },
  CV_ERR_REQUEST_FIELD: { code: "INVALID_ARGUMENT", retryable: false, summary: "A request field is missing or malformed." },
  CV_ERR_REQUEST_STALE: { code: "INVALID_ARGUMENT", retryable: false, summary: "client_time_ms is outside the replay window (stale, replayed, or a skewed clock)." },
  CV_ERR_DEADLINE_PASSED: { code: "DEADLINE_EXCEEDED", retryable: false, summary: "The request's deadline passed before it could be served." },
  // Idempotency
  CV_ERR_IDEMPOTENCY_KEY_REUSED: { code: "INVALID_ARGUMENT", retryable: false, summary: "The request id was already used for a request with different content." },
  CV_ERR_IDEMPOTENCY_IN_PROGRESS: { code: "UNAVAILABLE", retryable: true, summary: "An identical request is still being served; retry with the same request id." },
  // Limits
  CV_ERR_RATE_LIMITED: { code: "RESOURCE_EXHAUSTED", retryable: true, summary: "A rate limit was exceeded; retry after retry_after_ms." },
  CV_ERR_OVERLOADED: { code: "RESOURCE_EXHAUSTED", retryable: true, summary: "The worker has too many requests in flight." },
  // Templates and access rules
  CV_ERR_TEMPLATE_NOT_FOUND: { code: "NOT_FOUND", retryable: false, summary: "No template has that name; said only to a caller whose access rules name it." },
  CV_ERR_NOT_ENTITLED: { code: "PERMISSION_DENIED", retryable: false, summary: "No access rule lets this principal use this template; also the answer for a missing one the rules do not name." },
  CV_ERR_ON_BEHALF_OF_DENIED: { code: "PERMISSION_DENIED", retryable: false, summary: "The principal may not act for that tenant." },
  CV_ERR_SEALED_REPLY_NOT_ALLOWED: { code: "PERMISSION_DENIED", retryable: false, summary: "The request asks for a reply sealed to its own X25519 key, but no access rule allowing it has sealed_replies: allow (or the vendor has no sealing key); omit reply_public_key and decrypt the KMS envelope." },
  CV_ERR_PARAM_MISSING: { code: "INVALID_ARGUMENT", retryable: false, summary: "A required template parameter is missing." },
  CV_ERR_PARAM_UNKNOWN: { code: "INVALID_ARGUMENT", retryable: false, summary: "The template has no parameter of that name." },
  CV_ERR_PARAM_INVALID: { code: "INVALID_ARGUMENT", retryable: false, summary: "A parameter value does not fit its type, pattern or length." },
  CV_ERR_PARAM_NOT_ALLOWED: { code: "PERMISSION_DENIED", retryable: false, summary: "The parameter value is valid but not allowed for this caller." },
  CV_ERR_DURATION_INVALID: { code: "INVALID_ARGUMENT", retryable: false, summary: "duration_seconds is outside what the template and access rule allow." },
  CV_ERR_MFA_REQUIRED: { code: "UNAUTHENTICATED", retryable: false, summary: "The template requires MFA; send mfa.serial_number and mfa.token_code." },
  CV_ERR_FEDERATION_INPUT: { code: "INVALID_ARGUMENT", retryable: false, summary: "The template needs a web identity token or SAML assertion that the request lacks." },
  CV_ERR_MFA_CODE_REJECTED: { code: "UNAUTHENTICATED", retryable: false, summary: "STS refused the MFA code (wrong, expired or already used); send a fresh code with a new request id." },
  // Federation inputs, checked by the worker before any STS call
  CV_ERR_WEB_IDENTITY_MALFORMED: { code: "INVALID_ARGUMENT", retryable: false, summary: "federation.web_identity_token is not a JWT (header.claims.signature, base64url JSON)." },
  CV_ERR_WEB_IDENTITY_ALGORITHM: { code: "UNAUTHENTICATED", retryable: false, summary: "The token is not signed with an algorithm STS accepts (RS256/384/512, ES256/384/512); none and HMAC are refused." },
  CV_ERR_WEB_IDENTITY_ISSUER: { code: "UNAUTHENTICATED", retryable: false, summary: "The token's iss is not an issuer the template accepts." },
  CV_ERR_WEB_IDENTITY_AUDIENCE: { code: "UNAUTHENTICATED", retryable: false, summary: "The token's aud names no audience the template accepts." },
  CV_ERR_WEB_IDENTITY_EXPIRED: { code: "UNAUTHENTICATED", retryable: false, summary: "The token has no exp, has expired, or is not valid yet (nbf, iat); get a fresh one." },
  CV_ERR_WEB_IDENTITY_SIGNATURE: { code: "UNAUTHENTICATED", retryable: false, summary: "The token's signature does not verify with the template's JWKS." },
  CV_ERR_WEB_IDENTITY_CLAIM_MISMATCH: { code: "PERMISSION_DENIED", retryable: false, summary: "A token claim the access rule binds (e.g. sub, email) does not equal the caller's value." },
  CV_ERR_SAML_MALFORMED: { code: "INVALID_ARGUMENT", retryable: false, summary: "federation.saml_assertion is not base64 of a SAML Response with exactly one Assertion." },
  CV_ERR_SAML_EXPIRED: { code: "UNAUTHENTICATED", retryable: false, summary: "The SAML assertion is outside its NotBefore / NotOnOrAfter window; sign in again." },
  CV_ERR_SAML_ROLE_NOT_GRANTED: { code: "PERMISSION_DENIED", retryable: false, summary: "The assertion's Role attribute does not grant the template's role with its SAML provider." },
  CV_ERR_SAML_CLAIM_MISMATCH: { code: "PERMISSION_DENIED", retryable: false, summary: "The assertion's NameID or an attribute the access rule binds does not equal the caller's value." },
  CV_ERR_RENDERED_POLICY_TOO_LARGE: { code: "FAILED_PRECONDITION", retryable: false, summary: "The rendered session policy exceeds STS limits." },
  // AWS
  CV_ERR_STS_ACCESS_DENIED: { code: "PERMISSION_DENIED", retryable: false, summary: "STS refused the call (trust policy, MFA, external id or the vendor's own permissions)." },
  CV_ERR_STS_REJECTED_INPUT: { code: "FAILED_PRECONDITION", retryable: false, summary: "STS rejected the rendered request (validation, malformed or oversized policy); fix the template." },
  CV_ERR_STS_TOKEN_REJECTED: { code: "UNAUTHENTICATED", retryable: false, summary: "STS rejected the web identity token or SAML assertion (invalid or expired)." },
  CV_ERR_STS_REGION_DISABLED: { code: "FAILED_PRECONDITION", retryable: false, summary: "STS is not activated in the vendor's region." },
  CV_ERR_AWS_THROTTLED: { code: "UNAVAILABLE", retryable: true, summary: "AWS throttled the vendor; retry later." },
  CV_ERR_AWS_UNAVAILABLE: { code: "UNAVAILABLE", retryable: true, summary: "AWS could not be reached or failed; retry later." },
  CV_ERR_VENDOR_CREDENTIALS: { code: "UNAVAILABLE", retryable: true, summary: "The vendor's own AWS credentials are missing, invalid or expired." },
  CV_ERR_KMS_DENIED: { code: "FAILED_PRECONDITION", retryable: false, summary: "KMS refused to generate a data key for this requester (key policy, disabled key)." },
  CV_ERR_KMS_KEY_NOT_FOUND: { code: "FAILED_PRECONDITION", retryable: false, summary: "The configured reply KMS key does not exist." },
  // Infrastructure
  CV_ERR_REDIS_UNAVAILABLE: { code: "UNAVAILABLE", retryable: true, summary: "Redis is unreachable, so dedupe and rate limits cannot be enforced." },
  CV_ERR_AUDIT_UNAVAILABLE: { code: "UNAVAILABLE", retryable: true, summary: "The audit stream did not store the decision, so no credentials were handed out; retry later." },
  CV_ERR_SHUTTING_DOWN: { code: "UNAVAILABLE", retryable: true, summary: "The worker is draining; another worker will serve a retry." },
  CV_ERR_INTERNAL: { code: "INTERNAL", retryable: false, summary: "An unexpected failure in the vendor; the vendor's logs have the details." },
  // Client side (never sent by the vendor)
  CV_ERR_CLIENT_TIMEOUT: { code: "DEADLINE_EXCEEDED", retryable: true, summary: "No reply arrived in time." },
  CV_ERR_CLIENT_NO_VENDOR: { code: "UNAVAILABLE", retryable: true, summary: "No vendor worker is listening on the request subject." },
  CV_ERR_CLIENT_NATS_DENIED: { code: "PERMISSION_DENIED", retryable: false, summary: "NATS refused this user the request subject or its reply subject; connect as the NATS user of the request's tenant and principal." },
  CV_ERR_CLIENT_DECRYPT: { code: "UNAUTHENTICATED", retryable: false, summary: "The reply could not be decrypted with the requester's identity." },
  CV_ERR_CLIENT_BAD_REPLY: { code: "INTERNAL", retryable: false, summary: "The reply was not a valid credvend.v1.CredentialReply." },
} as const satisfies Record<string, ReasonSpec>;

export type Reason = keyof typeof REASONS;

export function isReason(value: string): value is Reason {
  return Object.prototype.hasOwnProperty.call(REASONS, value);
}
