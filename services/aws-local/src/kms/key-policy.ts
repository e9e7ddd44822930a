// KMS's own rules for key policies (KMS API Reference, CreateKey, Policy; KMS Developer Guide,
// "Creating a key policy"): at most 32,768 characters; every statement names principals; a statement
// missing Action or Resource is accepted but has no effect; and, unless the caller bypasses the
// lockout safety check, the policy must let the caller make a later PutKeyPolicy call. All refusals
// are MalformedPolicyDocumentException (400).

import { statementsOf } from "../iam/evaluate.js";
import { invalidPrincipals, type PrincipalDirectory } from "../iam/principal-directory.js";
import { checkPolicyDocument } from "../iam/validate-policy.js";
import { AwsError, type CallerIdentity, type PolicyDocument } from "../types.js";
import type { Authorize } from "./authorize.js";
import type { KmsKey } from "./key-store.js";

export const KEY_POLICY_MAX_CHARS = 32_768;
/** The message AWS answers when the new policy would lock the caller out. */
const LOCKOUT = "The new key policy will not allow you to update the key policy in the future.";

function malformed(message: string): AwsError {
  return new AwsError("MalformedPolicyDocumentException", message, 400);
}

/** KMS's own sentence for a key policy naming a principal that does not exist. */
export const INVALID_PRINCIPALS = "Policy contains a statement with one or more invalid principals.";

export function parseKeyPolicy(text: string, principals: PrincipalDirectory): PolicyDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed("The key policy is not valid JSON");
  }
  const problems = checkPolicyDocument(value, "key");
  if (problems.length > 0) throw malformed(`The key policy is malformed: ${problems.join("; ")}`);
  const policy = value as PolicyDocument;
  const invalid = invalidPrincipals(policy, principals)[0];
  // AWS's sentence first (tools match it), then which principal and why, so the caller can fix it.
  if (invalid !== undefined) throw malformed(`${INVALID_PRINCIPALS} ${invalid.where} names ${JSON.stringify(invalid.value)}: ${invalid.why}.`);
  return policy;
}

const effectiveCache = new WeakMap<PolicyDocument, PolicyDocument>();

/**
 * The statements that take effect: without Action (or NotAction) or Resource (or NotResource) a key
 * policy statement applies to nothing. Evaluated as written, a Resource-less Allow would have applied
 * to the key (trust policies have no Resource, and the engine reads that as "this resource").
 */
export function effectiveKeyPolicy(policy: PolicyDocument): PolicyDocument {
  const cached = effectiveCache.get(policy);
  if (cached !== undefined) return cached;
  const statements = statementsOf(policy).filter(
    (s) => (s.Action !== undefined || s.NotAction !== undefined) && (s.Resource !== undefined || s.NotResource !== undefined),
  );
  const effective = statements.length === statementsOf(policy).length ? policy : { ...policy, Statement: statements };
  effectiveCache.set(policy, effective);
  return effective;
}

/** MalformedPolicyDocumentException unless `key` (with its new policy) lets `caller` call PutKeyPolicy. */
export function checkLockoutSafety(authorize: Authorize, caller: CallerIdentity, key: KmsKey): void {
  try {
    authorize({ caller, key, action: "kms:PutKeyPolicy" });
  } catch (error) {
    if (error instanceof AwsError && error.code === "AccessDeniedException") throw malformed(LOCKOUT);
    throw error;
  }
}
