// Request members AWS added to STS after the rest: AssumeRole's ProvidedContexts and the
// MinimumSessionTokenSize of every credential-issuing call. Both used to be ignored, which accepted
// anything; now their constraints are checked and a context assertion is refused (see below).
import { AwsError } from "../types.js";
import type { QueryParams } from "./query-params.js";
import { ARN_PATTERN, type Validator } from "./validation.js";

/** Model: ProvidedContextsListType max 5; contextAssertionType 4..2048. */
export const MAX_PROVIDED_CONTEXTS = 5;
/** "The value must not exceed 4,096 bytes" (MinimumSessionTokenSize, STS model documentation). */
export const MAX_MINIMUM_SESSION_TOKEN_SIZE = 4096;

/** Checks ProvidedContexts' syntax; returns how many contexts were passed. */
export function readProvidedContexts(p: QueryParams, v: Validator): number {
  const entries = p.structList("ProvidedContexts", ["ProviderArn", "ContextAssertion"]);
  v.count("providedContexts", entries.length, MAX_PROVIDED_CONTEXTS);
  entries.forEach((e, i) => {
    v.text(`providedContexts.${i + 1}.member.providerArn`, e["ProviderArn"], 20, 2048, ARN_PATTERN);
    // The assertion is a bearer credential: Validator never echoes a member named contextAssertion.
    v.text(`providedContexts.${i + 1}.member.contextAssertion`, e["ContextAssertion"], 4, 2048);
  });
  return entries.length;
}

/**
 * A trusted context assertion is "signed and encrypted by Amazon Web Services STS" for a trusted
 * context provider (IAM Identity Center). aws-local issues none, so none it is sent can be genuine:
 * refusing is the only answer that is not more lenient than AWS.
 */
export function refuseProvidedContexts(count: number): void {
  if (count === 0) return;
  throw new AwsError(
    "InvalidContextAssertion",
    "The context assertion in ProvidedContexts could not be verified: aws-local issues no trusted context assertions, so it accepts none. Omit ProvidedContexts.",
    400,
  );
}

/** MinimumSessionTokenSize (0..4096; 0 or absent: no minimum). */
export function readMinimumSessionTokenSize(p: QueryParams, v: Validator): number {
  return v.integer("minimumSessionTokenSize", p.get("MinimumSessionTokenSize"), 0, MAX_MINIMUM_SESSION_TOKEN_SIZE) ?? 0;
}
