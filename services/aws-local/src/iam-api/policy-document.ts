// PutRolePolicy's checks of the submitted document, in IAM's own terms: MalformedPolicyDocument for
// anything that is not a valid identity policy, LimitExceeded when the role's inline policies
// together pass IAM's aggregate size (10,240 characters, white space not counted).
import { statementsOf } from "../iam/evaluate.js";
import { asPolicyDocument } from "../iam/validate-policy.js";
import type { RoleInlinePolicy } from "../iam/role-policies.js";
import { AwsError, type PolicyDocument, type PolicyStatement, type StringOrList } from "../types.js";

/** IAM quota: aggregate inline policy size per role, white space excluded. */
export const ROLE_INLINE_POLICIES_MAX_CHARS = 10_240;

const ACTION = /^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$/i;

function malformed(message: string): AwsError {
  return new AwsError("MalformedPolicyDocument", message, 400);
}

function listOf(value: StringOrList | undefined): readonly string[] {
  return value === undefined ? [] : typeof value === "string" ? [value] : value;
}

function checkStatement(s: PolicyStatement): void {
  if (s.Sid !== undefined && !/^[A-Za-z0-9]*$/.test(s.Sid)) throw malformed("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*");
  if (s.Resource === undefined && s.NotResource === undefined) throw malformed("Policy statement must contain resources.");
  for (const action of [...listOf(s.Action), ...listOf(s.NotAction)]) {
    if (!ACTION.test(action)) throw malformed(`Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc. (got "${action.slice(0, 64)}").`);
  }
  for (const resource of [...listOf(s.Resource), ...listOf(s.NotResource)]) {
    if (resource !== "*" && !resource.startsWith("arn:")) throw malformed(`Resource ${resource.slice(0, 128)} must be in ARN format or "*".`);
  }
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
  const sids = new Set<string>();
  for (const statement of statementsOf(checked)) {
    checkStatement(statement);
    if (statement.Sid !== undefined && statement.Sid !== "") {
      if (sids.has(statement.Sid)) throw malformed("Statement IDs (SID) in a single policy must be unique.");
      sids.add(statement.Sid);
    }
  }
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
