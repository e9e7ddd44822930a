// Which `AWS` principals a resource policy may name. IAM (CreateRole, UpdateAssumeRolePolicy) and
// KMS (CreateKey, PutKeyPolicy) refuse a policy naming a principal that does not exist: IAM resolves
// each principal ARN to the entity's unique id when it stores the policy, so a name it can not resolve
// is "Invalid principal in policy", and KMS answers "Policy contains a statement with one or more
// invalid principals." (KMS API Reference, CreateKey, Policy: "The principals in the key policy must
// exist and be visible to KMS"; IAM User Guide, "AWS JSON policy elements: Principal"). Wildcards: only
// "*" on its own; a wildcard inside a principal ARN is refused ("you cannot use a wildcard to match
// part of a principal name or ARN"). Session principals (assumed-role session ARNs, federated users)
// may name any session name, but their role or account must exist.
import type { PolicyDocument, PolicyStatement, StringOrList } from "../types.js";
import { statementsOf } from "./evaluate.js";

/** The IAM entities a seed (or the emulator's world) holds. */
export interface PrincipalDirectory {
  hasAccount(accountId: string): boolean;
  /** The exact ARN (path included) of an IAM user. */
  hasUserArn(arn: string): boolean;
  /** The exact ARN (path included) of an IAM role. */
  hasRoleArn(arn: string): boolean;
  /** A role of that account by name (assumed-role session ARNs carry no path). */
  hasRoleName(accountId: string, name: string): boolean;
}

export interface InvalidPrincipal {
  /** `Statement[i].Principal` or `Statement[i].NotPrincipal`. */
  readonly where: string;
  readonly value: string;
  /** What is wrong, in words a person can act on. */
  readonly why: string;
}

const ACCOUNT_ID = /^\d{12}$/;
const IAM_ARN = /^arn:aws:iam::(\d{12}):(root|user\/.+|role\/.+)$/;
const STS_ARN = /^arn:aws:sts::(\d{12}):(assumed-role\/([\w+=,.@-]+)\/[\w+=,.@-]+|federated-user\/[\w+=,.@-]+)$/;

function values(value: StringOrList | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === "string" ? [value] : value;
}

/** Why one `AWS` principal value is invalid, or undefined when it names an existing principal. */
export function awsPrincipalProblem(value: string, directory: PrincipalDirectory): string | undefined {
  if (value === "*") return undefined;
  if (value.includes("*") || value.includes("?")) {
    return 'a wildcard may only be the whole principal ("*"); name the account, user or role exactly';
  }
  const noAccount = (acct: string) => (directory.hasAccount(acct) ? undefined : `account ${acct} does not exist (it is not in the seed)`);
  if (ACCOUNT_ID.test(value)) return noAccount(value);
  const iam = IAM_ARN.exec(value);
  if (iam !== null) {
    const [, acct = "", resource = ""] = iam;
    const missingAccount = noAccount(acct);
    if (missingAccount !== undefined || resource === "root") return missingAccount;
    if (resource.startsWith("user/")) return directory.hasUserArn(value) ? undefined : "no IAM user has exactly this ARN (path included)";
    return directory.hasRoleArn(value) ? undefined : "no IAM role has exactly this ARN (path included)";
  }
  const sts = STS_ARN.exec(value);
  if (sts !== null) {
    const [, acct = "", , roleName] = sts;
    const missingAccount = noAccount(acct);
    if (missingAccount !== undefined || roleName === undefined) return missingAccount;
    return directory.hasRoleName(acct, roleName) ? undefined : `the session's role ${roleName} does not exist in account ${acct}`;
  }
  return "not an AWS principal: use an account id, arn:aws:iam::<account>:root, a user or role ARN, or an STS session ARN";
}

function statementProblems(statement: PolicyStatement, index: number, directory: PrincipalDirectory): InvalidPrincipal[] {
  const problems: InvalidPrincipal[] = [];
  for (const element of ["Principal", "NotPrincipal"] as const) {
    const principal = statement[element];
    if (principal === undefined || principal === "*") continue;
    for (const value of values(principal.AWS)) {
      const why = awsPrincipalProblem(value, directory);
      if (why !== undefined) problems.push({ where: `Statement[${index}].${element}`, value, why });
    }
  }
  return problems;
}

/** Every `AWS` principal of the policy that names nothing that exists (empty when all are valid). */
export function invalidPrincipals(policy: PolicyDocument, directory: PrincipalDirectory): readonly InvalidPrincipal[] {
  return statementsOf(policy).flatMap((s, i) => statementProblems(s, i, directory));
}

/** One problem as IAM words it: `Invalid principal in policy: "AWS":"<value>"`, plus why. */
export function describeInvalidPrincipal(p: InvalidPrincipal): string {
  return `Invalid principal in policy: "AWS":${JSON.stringify(p.value)} (${p.where}: ${p.why})`;
}
