// Policy documents arriving from outside (seed files, STS session policies) are checked with the
// IAM engine's own structural checker, so a typo such as an unknown condition operator is refused
// up front instead of silently never matching.
import { checkPolicyDocument } from "../iam/validate-policy.js";
import type { PolicyDocument } from "../types.js";

/** "resource": trust and key policies (Principal required); "identity": identity and session policies. */
export type PolicyKind = "resource" | "identity";

/** Why `value` is not a policy document of this kind, or undefined when it is one. */
export function policyDocumentProblem(value: unknown, kind: PolicyKind): string | undefined {
  const problems = checkPolicyDocument(value, kind);
  return problems.length === 0 ? undefined : problems.join("; ");
}

/** Parses a JSON policy text; throws with a reason a human can act on. */
export function parsePolicyJson(text: string, kind: PolicyKind): PolicyDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error("the policy is not valid JSON");
  }
  const problem = policyDocumentProblem(value, kind);
  if (problem !== undefined) throw new Error(problem);
  return value as PolicyDocument;
}
