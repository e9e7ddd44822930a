// When and how long the client waits before sending a request again: the AWS SDK's standard
// retry strategy (exponential backoff with full jitter, a longer base for throttling, the peer's
// retry-after as a hint, and a retry quota that stops a failing client from retrying forever).
import { StandardRetryStrategy } from "@smithy/core/retry";
import type { CredvendError } from "@credvend/protocol";

export type RetryStrategy = Pick<StandardRetryStrategy, "acquireInitialRetryToken" | "refreshRetryTokenForRetry" | "recordSuccess">;
export type RetryToken = Awaited<ReturnType<RetryStrategy["acquireInitialRetryToken"]>>;
type RetryErrorInfo = Parameters<RetryStrategy["refreshRetryTokenForRetry"]>[1];

export function defaultRetryStrategy(attempts: number): RetryStrategy {
  return new StandardRetryStrategy({ maxAttempts: attempts });
}

/** How the strategy should see a retryable failure: throttling backs off longer. */
export function retryErrorInfo(error: CredvendError, now: number): RetryErrorInfo {
  const throttled = error.code === "RESOURCE_EXHAUSTED" || error.reason === "CV_ERR_AWS_THROTTLED";
  return {
    errorType: throttled ? "THROTTLING" : "TRANSIENT",
    ...(error.retryAfterMs ? { retryAfterHint: new Date(now + error.retryAfterMs) } : {}),
  };
}
