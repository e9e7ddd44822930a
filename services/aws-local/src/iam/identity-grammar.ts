// The grammar IAM enforces on identity policies beyond their JSON shape (validate-policy.ts):
// every statement names resources, actions and condition keys carry a service prefix, resources are
// ARNs or "*", Sids are alphanumeric and unique. IAM applies it wherever it takes an identity
// policy, so STS refuses a session policy (Policy of AssumeRole, GetFederationToken and the
// federation calls) that breaks it as PutRolePolicy does: MalformedPolicyDocument. Without this a
// Deny statement with no Resource was accepted and then never applied, so STS issued credentials
// that AWS would have refused to issue at all.
import type { PolicyDocument, PolicyStatement, StringOrList } from "../types.js";
import { statementsOf } from "./evaluate.js";

const ACTION = /^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$/i;
/** "<vendor>:<key>": aws:…, kms:…, saml:…, or an OIDC provider's host/path (a.example.com/id/x:sub). */
const CONDITION_KEY = /^[^:\s]+:\S/;
const SID = /^[A-Za-z0-9]*$/;

function listOf(value: StringOrList | undefined): readonly string[] {
  return value === undefined ? [] : typeof value === "string" ? [value] : value;
}

function statementProblem(s: PolicyStatement): string | undefined {
  if (s.Sid !== undefined && !SID.test(s.Sid)) return "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*";
  if (s.Resource === undefined && s.NotResource === undefined) return "Policy statement must contain resources.";
  for (const action of [...listOf(s.Action), ...listOf(s.NotAction)]) {
    if (!ACTION.test(action)) return `Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc. (got "${action.slice(0, 64)}").`;
  }
  for (const resource of [...listOf(s.Resource), ...listOf(s.NotResource)]) {
    if (resource !== "*" && !resource.startsWith("arn:")) return `Resource ${resource.slice(0, 128)} must be in ARN format or "*".`;
  }
  for (const block of Object.values(s.Condition ?? {})) {
    for (const key of Object.keys(block)) {
      if (!CONDITION_KEY.test(key)) return `Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc. (got condition key "${key.slice(0, 64)}").`;
    }
  }
  return undefined;
}

/** The first grammar problem of a structurally valid identity policy, in IAM's words; undefined when none. */
export function identityGrammarProblem(policy: PolicyDocument): string | undefined {
  const sids = new Set<string>();
  for (const statement of statementsOf(policy)) {
    const problem = statementProblem(statement);
    if (problem !== undefined) return problem;
    if (statement.Sid !== undefined && statement.Sid !== "") {
      if (sids.has(statement.Sid)) return "Statement IDs (SID) in a single policy must be unique.";
      sids.add(statement.Sid);
    }
  }
  return undefined;
}
