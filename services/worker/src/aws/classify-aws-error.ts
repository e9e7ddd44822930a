// The one place that turns AWS SDK errors into credvend errors. It looks at the error's name
// (the wire code), HTTP status, fault side and Node network codes — never at message text.
import { CredvendError, type Reason } from "@credvend/protocol";

export type AwsService = "sts" | "kms";

interface AwsLikeError {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $fault?: "client" | "server";
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
  readonly cause?: unknown;
}

const THROTTLING = new Set(["Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
  "RequestThrottled", "RequestThrottledException", "ThrottledException", "SlowDown", "PriorRequestNotComplete"]);
const VENDOR_CREDENTIALS = new Set(["InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "UnrecognizedClientException",
  "InvalidSignatureException", "IncompleteSignature", "IncompleteSignatureException", "MissingAuthenticationToken",
  "MissingAuthenticationTokenException", "CredentialsProviderError"]);
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN",
  "TimeoutError", "RequestTimeout", "RequestTimeoutException"]);
const STS_REJECTED_INPUT = new Set(["MalformedPolicyDocument", "MalformedPolicyDocumentException", "PackedPolicyTooLarge",
  "PackedPolicyTooLargeException", "ValidationError", "ValidationException", "InvalidParameterValue", "MissingParameter"]);
const STS_TOKEN_REJECTED = new Set(["IDPRejectedClaim", "IDPRejectedClaimException", "InvalidIdentityToken",
  "InvalidIdentityTokenException", "ExpiredTokenException"]);
const KMS_DENIED = new Set(["AccessDeniedException", "DisabledException", "KMSInvalidStateException", "InvalidKeyUsageException", "IncorrectKeyException"]);

const MAX_AWS_MESSAGE = 300;

function networkCode(err: AwsLikeError): string | undefined {
  if (err.code && NETWORK.has(err.code)) return err.code;
  if (err.name && NETWORK.has(err.name)) return err.name;
  const cause = err.cause as AwsLikeError | undefined;
  return cause && typeof cause === "object" ? networkCode(cause) : undefined;
}

function awsDetail(err: AwsLikeError): string {
  const text = (err.message ?? "").replace(/\s+/g, " ").trim();
  return text.length > MAX_AWS_MESSAGE ? `${text.slice(0, MAX_AWS_MESSAGE)}…` : text;
}

/** Maps an AWS SDK (or network) error from `service` to a CredvendError with an actionable message. */
export function classifyAwsError(error: unknown, service: AwsService, operation: string): CredvendError {
  const err: AwsLikeError = typeof error === "object" && error !== null ? (error as AwsLikeError) : { message: String(error) };
  const name = err.name ?? "";
  const status = err.$metadata?.httpStatusCode;
  const detail = awsDetail(err);
  const make = (reason: Reason, message: string, retryAfterMs?: number) =>
    new CredvendError(reason, message, { cause: error, ...(retryAfterMs ? { retryAfterMs } : {}) });
  const svc = service.toUpperCase();

  if (THROTTLING.has(name) || status === 429) {
    return make("CV_ERR_AWS_THROTTLED", `AWS ${svc} throttled ${operation} (${name}); retry later`, 1000);
  }
  const net = networkCode(err);
  if (net) return make("CV_ERR_AWS_UNAVAILABLE", `AWS ${svc} could not be reached for ${operation} (${net}); retry later`, 1000);
  if (VENDOR_CREDENTIALS.has(name)) {
    return make("CV_ERR_VENDOR_CREDENTIALS", `the vendor's own AWS credentials were refused by ${svc} (${name}); the operator must fix the vendor's AWS identity`, 5000);
  }
  if (service === "sts") {
    if (name === "AccessDenied" || name === "AccessDeniedException") {
      return make("CV_ERR_STS_ACCESS_DENIED", `STS denied ${operation}: ${detail || name}. Check the role's trust policy, MFA and external id, and the vendor's permissions`);
    }
    if (STS_TOKEN_REJECTED.has(name)) return make("CV_ERR_STS_TOKEN_REJECTED", `STS rejected the identity token for ${operation} (${name}): ${detail}`);
    if (name === "IDPCommunicationError" || name === "IDPCommunicationErrorException") {
      return make("CV_ERR_AWS_UNAVAILABLE", `STS could not reach the identity provider for ${operation}; retry later`, 2000);
    }
    if (name === "RegionDisabledException") return make("CV_ERR_STS_REGION_DISABLED", `STS is not activated in the vendor's region: ${detail}`);
    if (STS_REJECTED_INPUT.has(name)) return make("CV_ERR_STS_REJECTED_INPUT", `STS rejected the ${operation} request the template produced (${name}): ${detail}. Fix the template or the parameters`);
  } else {
    if (name === "NotFoundException") return make("CV_ERR_KMS_KEY_NOT_FOUND", `the vendor's reply KMS key was not found (${detail}); the operator must fix CREDVEND_REPLY_KEY_ID`);
    if (KMS_DENIED.has(name)) return make("CV_ERR_KMS_DENIED", `KMS refused ${operation} for this requester (${name}): ${detail}. The reply key's policy must let the vendor generate data keys for this encryption context`);
  }
  if (err.$fault === "server" || (status !== undefined && status >= 500)) {
    return make("CV_ERR_AWS_UNAVAILABLE", `AWS ${svc} failed ${operation} (${name || status}); retry later`, 1000);
  }
  return make("CV_ERR_INTERNAL", `unexpected ${svc} error in ${operation} (${name || "unknown"})`);
}
