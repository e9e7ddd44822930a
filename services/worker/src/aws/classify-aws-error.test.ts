import { test } from "node:test";
import assert from "node:assert/strict";
import { classifyAwsError, IncompleteAwsResponse } from "./classify-aws-error.js";

const aws = (name: string, status: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status }, ...extra });

const cases: [string, unknown, "sts" | "kms", string, string][] = [
  ["STS AccessDenied", aws("AccessDenied", 403), "sts", "PERMISSION_DENIED", "CV_ERR_STS_ACCESS_DENIED"],
  ["STS throttling", aws("Throttling", 400), "sts", "UNAVAILABLE", "CV_ERR_AWS_THROTTLED"],
  ["KMS throttling", aws("ThrottlingException", 400), "kms", "UNAVAILABLE", "CV_ERR_AWS_THROTTLED"],
  ["HTTP 429", aws("Whatever", 429), "sts", "UNAVAILABLE", "CV_ERR_AWS_THROTTLED"],
  ["malformed policy", aws("MalformedPolicyDocumentException", 400), "sts", "FAILED_PRECONDITION", "CV_ERR_STS_REJECTED_INPUT"],
  ["packed policy", aws("PackedPolicyTooLargeException", 400), "sts", "FAILED_PRECONDITION", "CV_ERR_STS_REJECTED_INPUT"],
  ["validation", aws("ValidationError", 400), "sts", "FAILED_PRECONDITION", "CV_ERR_STS_REJECTED_INPUT"],
  ["bad web identity token", aws("InvalidIdentityTokenException", 400), "sts", "UNAUTHENTICATED", "CV_ERR_STS_TOKEN_REJECTED"],
  ["IdP down", aws("IDPCommunicationErrorException", 400), "sts", "UNAVAILABLE", "CV_ERR_AWS_UNAVAILABLE"],
  ["bad web identity token (wire code)", aws("InvalidIdentityToken", 400), "sts", "UNAUTHENTICATED", "CV_ERR_STS_TOKEN_REJECTED"],
  ["expired web identity token", aws("ExpiredTokenException", 400), "sts", "UNAUTHENTICATED", "CV_ERR_STS_TOKEN_REJECTED"],
  ["IdP rejected the claims", aws("IDPRejectedClaimException", 403), "sts", "PERMISSION_DENIED", "CV_ERR_STS_ACCESS_DENIED"],
  ["malformed policy (wire code)", aws("MalformedPolicyDocument", 400), "sts", "FAILED_PRECONDITION", "CV_ERR_STS_REJECTED_INPUT"],
  ["packed policy (wire code)", aws("PackedPolicyTooLarge", 400), "sts", "FAILED_PRECONDITION", "CV_ERR_STS_REJECTED_INPUT"],
  ["throttling by the SDK's retryable trait", aws("SomeNewThrottle", 400, { $retryable: { throttling: true } }), "kms", "UNAVAILABLE", "CV_ERR_AWS_THROTTLED"],
  ["HTTP 503", aws("ServiceUnavailable", 503), "sts", "UNAVAILABLE", "CV_ERR_AWS_UNAVAILABLE"],
  ["SDK timeout", aws("TimeoutError", 0), "kms", "UNAVAILABLE", "CV_ERR_AWS_UNAVAILABLE"],
  ["region disabled", aws("RegionDisabledException", 403), "sts", "FAILED_PRECONDITION", "CV_ERR_STS_REGION_DISABLED"],
  ["vendor key unknown", aws("InvalidClientTokenId", 403), "sts", "UNAVAILABLE", "CV_ERR_VENDOR_CREDENTIALS"],
  ["vendor session expired", aws("ExpiredToken", 403), "sts", "UNAVAILABLE", "CV_ERR_VENDOR_CREDENTIALS"],
  ["KMS bad signature", aws("InvalidSignatureException", 400), "kms", "UNAVAILABLE", "CV_ERR_VENDOR_CREDENTIALS"],
  ["KMS key missing", aws("NotFoundException", 404), "kms", "FAILED_PRECONDITION", "CV_ERR_KMS_KEY_NOT_FOUND"],
  ["KMS denied", aws("AccessDeniedException", 400), "kms", "FAILED_PRECONDITION", "CV_ERR_KMS_DENIED"],
  ["KMS key disabled", aws("DisabledException", 409), "kms", "FAILED_PRECONDITION", "CV_ERR_KMS_DENIED"],
  ["server fault", aws("InternalFailure", 500, { $fault: "server" }), "sts", "UNAVAILABLE", "CV_ERR_AWS_UNAVAILABLE"],
  ["connection refused", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "kms", "UNAVAILABLE", "CV_ERR_AWS_UNAVAILABLE"],
  ["network error in cause", Object.assign(new Error("fetch failed"), { cause: { code: "ETIMEDOUT" } }), "sts", "UNAVAILABLE", "CV_ERR_AWS_UNAVAILABLE"],
  ["missing vendor credentials", aws("CredentialsProviderError", 0), "sts", "UNAVAILABLE", "CV_ERR_VENDOR_CREDENTIALS"],
  // What the SDK's deserializer throws for a 200 it can not read: the raw response attached, no $fault.
  ["unreadable 200 (cut off, not XML)", aws("Error", 200, { $response: { statusCode: 200 } }), "sts", "UNAVAILABLE", "CV_ERR_AWS_UNAVAILABLE"],
  ["200 with no complete Credentials", new IncompleteAwsResponse("no Credentials"), "sts", "UNAVAILABLE", "CV_ERR_AWS_UNAVAILABLE"],
  ["AWS's own error answer keeps its meaning", aws("AccessDenied", 403, { $response: {}, $fault: "client" }), "sts", "PERMISSION_DENIED", "CV_ERR_STS_ACCESS_DENIED"],
  ["something else", aws("WeirdNewError", 400), "sts", "INTERNAL", "CV_ERR_INTERNAL"],
  ["not an error at all", "boom", "sts", "INTERNAL", "CV_ERR_INTERNAL"],
];

for (const [label, error, service, code, reason] of cases) {
  test(`classifies ${label}`, () => {
    const out = classifyAwsError(error, service, "Op");
    assert.equal(out.code, code);
    assert.equal(out.reason, reason);
    assert.equal(out.cause, error);
  });
}

test("retryable classes carry a retry-after", () => {
  assert.ok((classifyAwsError(aws("Throttling", 400), "sts", "AssumeRole").retryAfterMs ?? 0) > 0);
});

test("AWS's message is never copied into the reply: it may echo the request's own secrets", () => {
  const webIdentityToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";
  const sessionTokenLike = "FwoGZXIvYXdzEJr//////////wEaDOkSessionTokenLikeValue";
  const echoes = [
    aws("ValidationError", 400),
    aws("InvalidIdentityTokenException", 400),
    aws("ExpiredTokenException", 400),
    aws("AccessDenied", 403),
    aws("IDPRejectedClaimException", 403),
    aws("MalformedPolicyDocumentException", 400),
    aws("Throttling", 400),
    aws("InternalFailure", 500),
    aws("WeirdNewError", 400),
  ].map((e) => Object.assign(e, { message: `1 validation error detected: Value '${webIdentityToken}' at 'webIdentityToken' failed to satisfy constraint; token ${sessionTokenLike}` }));
  for (const error of echoes) {
    const out = classifyAwsError(error, "sts", "AssumeRoleWithWebIdentity");
    assert.doesNotMatch(out.message, /eyJhbGciOi|FwoGZXIvYXdz|validation error detected/, `${error.name}: ${out.message}`);
    assert.match(out.message, new RegExp(`AssumeRoleWithWebIdentity|${error.name}`), "names the operation or the code instead");
    assert.equal(out.cause, error, "the original stays on the error as its cause, never in the reply");
  }
});

test("GetSessionToken's AccessDenied is the MFA check (UNAUTHENTICATED); AssumeRole's stays PERMISSION_DENIED", () => {
  const denied = aws("AccessDenied", 403);
  assert.equal(classifyAwsError(denied, "sts", "GetSessionToken").reason, "CV_ERR_MFA_CODE_REJECTED");
  assert.equal(classifyAwsError(denied, "sts", "GetSessionToken").code, "UNAUTHENTICATED");
  assert.equal(classifyAwsError(denied, "sts", "AssumeRole").reason, "CV_ERR_STS_ACCESS_DENIED");
  assert.equal(classifyAwsError(aws("AccessDeniedException", 400), "kms", "GetSessionToken").reason, "CV_ERR_KMS_DENIED");
});

test("a rejected template input names the template", () => {
  for (const name of ["PackedPolicyTooLarge", "MalformedPolicyDocument"]) {
    const out = classifyAwsError(aws(name, 400), "sts", "GetFederationToken", "fed-read");
    assert.equal(out.code, "FAILED_PRECONDITION");
    assert.match(out.message, /template fed-read/);
  }
});
