// Policy documents arriving from outside (seed files, STS session policies) are checked with the
// IAM engine's own structural checker, so a typo such as an unknown condition operator is refused
// up front instead of silently never matching. Identity policies also get IAM's grammar (Resource
// required, vendor prefixes, ARNs, Sids): IAM refuses such a policy wherever it takes one, so a seed
// must not hold a policy AWS would never have stored.
import { identityGrammarProblem } from "../iam/identity-grammar.js";
import { checkPolicyDocument, type PolicyDocumentKind } from "../iam/validate-policy.js";
import type { PolicyDocument } from "../types.js";

export type PolicyKind = PolicyDocumentKind;

/** Why `value` is not a policy document of this kind, or undefined when it is one. */
export function policyDocumentProblem(value: unknown, kind: PolicyKind): string | undefined {
  const problems = checkPolicyDocument(value, kind);
  if (problems.length > 0) return problems.join("; ");
  return kind === "identity" ? identityGrammarProblem(value as PolicyDocument) : undefined;
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
