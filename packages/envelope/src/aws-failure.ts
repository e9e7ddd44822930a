// Which AWS SDK failures a later retry may get past, decided by the SDK's own classifiers (the
// ones its retry strategy uses: throttling codes and HTTP 429, timeouts and Node network errors,
// 5xx, walking `cause`), not by a list kept here. Shared by the worker's error classifier and the
// client, so a KMS outage means the same thing on both sides.
import { isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";

type SdkErrorLike = Parameters<typeof isTransientError>[0];

/** "throttled" or "unavailable" when retrying later may succeed; undefined when it will not. */
export type TransientAwsFailure = "throttled" | "unavailable";

export function transientAwsFailure(error: unknown): TransientAwsFailure | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const sdkError = error as SdkErrorLike;
  if (isThrottlingError(sdkError)) return "throttled";
  if (isTransientError(sdkError) || isServerError(sdkError)) return "unavailable";
  return undefined;
}
