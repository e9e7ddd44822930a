// PutRolePolicy's checks of the submitted document, in IAM's own terms: MalformedPolicyDocument for
// anything that is not a valid identity policy, LimitExceeded when the role's inline policies
// together pass IAM's aggregate size (10,240 characters, white space not counted).
import { identityGrammarProblem } from "../iam/identity-grammar.js";
import { asPolicyDocument } from "../iam/validate-policy.js";
import type { RoleInlinePolicy } from "../iam/role-policies.js";
import { AwsError, type PolicyDocument } from "../types.js";

/** IAM quota: aggregate inline policy size per role, white space excluded. */
export const ROLE_INLINE_POLICIES_MAX_CHARS = 10_240;

function malformed(message: string): AwsError {
  return new AwsError("MalformedPolicyDocument", message, 400);
}

/** The parsed document, or MalformedPolicyDocument naming the first problem. */
export function parseRolePolicyDocument(text: string): PolicyDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed("This policy contains invalid Json");
  }
  const checked = asPolicyDocument(value, "identity");
  if (Array.isArray(checked)) throw malformed(`The policy is not a valid identity policy: ${checked.slice(0, 3).join("; ")}`);
  const problem = identityGrammarProblem(checked);
  if (problem !== undefined) throw malformed(problem);
  return checked;
}

/** Characters IAM counts against the quota: everything but white space. */
export function countedSize(text: string): number {
  return text.replace(/\s/g, "").length;
}

export function checkAggregateSize(roleName: string, policies: readonly RoleInlinePolicy[]): void {
  const total = policies.reduce((n, p) => n + countedSize(p.text), 0);
  if (total > ROLE_INLINE_POLICIES_MAX_CHARS) {
    throw new AwsError("LimitExceeded", `Maximum policy size of ${ROLE_INLINE_POLICIES_MAX_CHARS} bytes exceeded for role ${roleName}`, 409);
  }
}
