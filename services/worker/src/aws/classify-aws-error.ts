// The one place that turns AWS SDK errors into credvend errors. Whether a failure is throttling or
// transient (429, throttling codes, timeouts, Node network errors, 5xx, walking `cause`) is the
// SDK's own decision (transientAwsFailure, on @smithy/core's classifiers); the table below maps only
// the codes that mean something specific to credvend. It looks at error names (the wire code), never
// at message text, and never copies AWS's message into the reply: AWS messages echo request values
// (a ValidationError quotes the web identity token that failed its length check), so the reply names
// the operation and the code, and says what to fix, in credvend's own words.
import { transientAwsFailure } from "@credvend/envelope";
import { CredvendError, type Reason } from "@credvend/protocol";

export type AwsService = "sts" | "kms";

interface AwsLikeError {
  readonly name?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $fault?: "client" | "server";
}

/**
 * AWS answered with success but without what the operation must return (an STS 200 with no
 * complete Credentials): thrown by sts-send.ts, classified like an answer that could not be read.
 */
export class IncompleteAwsResponse extends Error {
  override readonly name = "IncompleteAwsResponse";
}

/**
 * The SDK could not read the answer it got: a body cut off, not XML/JSON (a proxy's error page),
 * or without the operation's result. Its deserializer attaches the raw response (`$response`) to
 * every error it throws, and only AWS's own error answers carry `$fault`. Not the request's fault,
 * and AWS may well have acted (STS issued a session nobody could read): the requester retries.
 */
function unreadableAnswer(error: unknown): boolean {
  if (error instanceof IncompleteAwsResponse) return true;
  return typeof error === "object" && error !== null && "$response" in error && (error as AwsLikeError).$fault === undefined;
}

interface Meaning {
  readonly reason: Reason;
  /** What happened and what to fix; `op` is the operation, `code` the AWS error name, `tpl` " for template x" or "". */
  readonly message: (op: string, code: string, svc: string, tpl: string) => string;
  readonly retryAfterMs?: number;
}

const VENDOR_CREDENTIALS: Meaning = {
  reason: "CV_ERR_VENDOR_CREDENTIALS",
  message: (op, code, svc) => `the vendor's own AWS credentials were refused by ${svc} for ${op} (${code}); the operator must fix the vendor's AWS identity`,
  retryAfterMs: 5000,
};
const STS_REJECTED_INPUT: Meaning = {
  reason: "CV_ERR_STS_REJECTED_INPUT",
  message: (op, code, _svc, tpl) => `STS rejected the ${op} request the template produced (${code})${tpl}; see what is sent with 'credvend templates render', then fix the template or the parameters`,
};
const TOKEN_REJECTED: Meaning = {
  reason: "CV_ERR_STS_TOKEN_REJECTED",
  message: (op, code) => `STS rejected the web identity token or SAML assertion for ${op} (${code}): it is invalid, expired or not from a provider the role trusts; send a fresh one`,
};
const CLAIM_REJECTED: Meaning = {
  reason: "CV_ERR_STS_ACCESS_DENIED",
  message: (op, code) => `the identity provider rejected the token's claims for ${op} (${code}); the token is expired, revoked or not accepted for this role`,
};
const IDP_UNAVAILABLE: Meaning = {
  reason: "CV_ERR_AWS_UNAVAILABLE",
  message: (op, code) => `STS could not reach the identity provider for ${op} (${code}); retry later`,
  retryAfterMs: 2000,
};
const REGION_DISABLED: Meaning = {
  reason: "CV_ERR_STS_REGION_DISABLED",
  message: (op, code) => `STS is not activated in the vendor's region (${op}: ${code}); the operator must activate it or move the vendor's STS endpoint`,
};
const MFA_CODE_REJECTED: Meaning = {
  reason: "CV_ERR_MFA_CODE_REJECTED",
  message: (op, code) => `STS refused the MFA code for ${op} (${code}): it is wrong, expired or already used; send a fresh code with a new request id`,
};
const STS_ACCESS_DENIED: Meaning = {
  reason: "CV_ERR_STS_ACCESS_DENIED",
  message: (op, code) => `STS denied ${op} (${code}). Check the role's trust policy, MFA and external id, and the vendor's permissions`,
};
const KMS_KEY_NOT_FOUND: Meaning = {
  reason: "CV_ERR_KMS_KEY_NOT_FOUND",
  message: (op, code) => `the vendor's reply KMS key was not found (${op}: ${code}); the operator must fix CREDVEND_REPLY_KEY_ID`,
};
const KMS_DENIED: Meaning = {
  reason: "CV_ERR_KMS_DENIED",
  message: (op, code) => `KMS refused ${op} for this requester (${code}). The reply key must be enabled and its policy must let the vendor generate data keys for this encryption context`,
};

/** AWS error names (wire code and the SDK's modeled-exception name) with a credvend meaning. */
const SPECIFIC: Readonly<Record<AwsService | "any", Readonly<Record<string, Meaning>>>> = {
  any: {
    InvalidClientTokenId: VENDOR_CREDENTIALS,
    SignatureDoesNotMatch: VENDOR_CREDENTIALS,
    // The vendor's own session expired (ExpiredTokenException, below, is the requester's token).
    ExpiredToken: VENDOR_CREDENTIALS,
    UnrecognizedClientException: VENDOR_CREDENTIALS,
    InvalidSignatureException: VENDOR_CREDENTIALS,
    IncompleteSignature: VENDOR_CREDENTIALS,
    MissingAuthenticationToken: VENDOR_CREDENTIALS,
    CredentialsProviderError: VENDOR_CREDENTIALS,
  },
  sts: {
    AccessDenied: STS_ACCESS_DENIED,
    AccessDeniedException: STS_ACCESS_DENIED,
    MalformedPolicyDocument: STS_REJECTED_INPUT,
    MalformedPolicyDocumentException: STS_REJECTED_INPUT,
    PackedPolicyTooLarge: STS_REJECTED_INPUT,
    PackedPolicyTooLargeException: STS_REJECTED_INPUT,
    ValidationError: STS_REJECTED_INPUT,
    InvalidIdentityToken: TOKEN_REJECTED,
    InvalidIdentityTokenException: TOKEN_REJECTED,
    ExpiredTokenException: TOKEN_REJECTED,
    IDPRejectedClaim: CLAIM_REJECTED,
    IDPRejectedClaimException: CLAIM_REJECTED,
    IDPCommunicationError: IDP_UNAVAILABLE,
    IDPCommunicationErrorException: IDP_UNAVAILABLE,
    RegionDisabledException: REGION_DISABLED,
  },
  kms: {
    NotFoundException: KMS_KEY_NOT_FOUND,
    AccessDeniedException: KMS_DENIED,
    DisabledException: KMS_DENIED,
    KMSInvalidStateException: KMS_DENIED,
    InvalidKeyUsageException: KMS_DENIED,
    IncorrectKeyException: KMS_DENIED,
  },
};

/**
 * Codes whose meaning depends on the operation. GetSessionToken needs no IAM permission, so its
 * only AccessDenied is the MFA check (AWS: "MultiFactorAuthentication failed with invalid MFA one
 * time pass code"). AssumeRole's AccessDenied may equally be the trust policy, so it stays generic.
 */
const BY_OPERATION: Readonly<Record<string, Readonly<Record<string, Meaning>>>> = {
  GetSessionToken: { AccessDenied: MFA_CODE_REJECTED, AccessDeniedException: MFA_CODE_REJECTED },
};

/** Maps an AWS SDK (or network) error from `service` to a CredvendError with an actionable message. */
export function classifyAwsError(error: unknown, service: AwsService, operation: string, template?: string): CredvendError {
  const err: AwsLikeError = typeof error === "object" && error !== null ? (error as AwsLikeError) : {};
  const name = err.name ?? "";
  const svc = service.toUpperCase();
  const make = (reason: Reason, message: string, retryAfterMs?: number) =>
    new CredvendError(reason, message, { cause: error, ...(retryAfterMs ? { retryAfterMs } : {}) });

  // Throttling first: a throttled call says nothing about the request itself.
  const transient = transientAwsFailure(error);
  if (transient === "throttled") return make("CV_ERR_AWS_THROTTLED", `AWS ${svc} throttled ${operation} (${name || "HTTP 429"}); retry later`, 1000);
  const specific = (service === "sts" ? BY_OPERATION[operation]?.[name] : undefined) ?? SPECIFIC[service][name] ?? SPECIFIC.any[name];
  if (specific) return make(specific.reason, specific.message(operation, name, svc, template === undefined ? "" : ` for template ${template}`), specific.retryAfterMs);
  if (unreadableAnswer(error)) {
    return make("CV_ERR_AWS_UNAVAILABLE", `AWS ${svc} answered ${operation} with a response that could not be read (cut off, not AWS's format, or incomplete); retry later`, 1000);
  }
  if (transient === "unavailable" || err.$fault === "server") {
    return make("CV_ERR_AWS_UNAVAILABLE", `AWS ${svc} could not be reached or failed for ${operation} (${name || "network error"}); retry later`, 1000);
  }
  return make("CV_ERR_INTERNAL", `unexpected ${svc} error in ${operation} (${name || "unknown"})`);
}
