// Which `AWS` principals a resource policy may name. IAM (CreateRole, UpdateAssumeRolePolicy) and
// KMS (CreateKey, PutKeyPolicy) refuse a policy naming a principal that does not exist: IAM resolves
// each principal ARN to the entity's unique id when it stores the policy, so a name it can not resolve
// is "Invalid principal in policy", and KMS answers "Policy contains a statement with one or more
// invalid principals." (KMS API Reference, CreateKey, Policy: "The principals in the key policy must
// exist and be visible to KMS"; IAM User Guide, "AWS JSON policy elements: Principal"). Wildcards: only
// "*" on its own; a wildcard inside a principal ARN is refused ("you cannot use a wildcard to match
// part of a principal name or ARN"). Session principals (assumed-role session ARNs, federated users)
// may name any session name, but their role or account must exist.
// `Federated` and `Service` principals follow the same rule: a provider ARN must name a provider that
// exists (IAM resolves it like a role ARN), anything else that is not one of the built-in web identity
// providers is "Federated principals must be valid domain names or SAML metadata ARNs"; a service
// principal must be an AWS service's name (IAM answers `Invalid principal in policy: "SERVICE":"…"` for
// one it does not know, e.g. "codepipeiine.amazonaws.com" or "eks.amazonaws.com.cn").
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
  /** An IAM OIDC provider: arn:aws:iam::<acct>:oidc-provider/<url without https://>. */
  hasOidcProviderArn(arn: string): boolean;
  /** An IAM SAML provider: arn:aws:iam::<acct>:saml-provider/<name>. */
  hasSamlProviderArn(arn: string): boolean;
}

/** The principal types whose values are checked, as IAM names them in its error ("SERVICE" upper case). */
export type PrincipalKind = "AWS" | "Federated" | "Service";

export interface InvalidPrincipal {
  readonly kind: PrincipalKind;
  /** `Statement[i].Principal` or `Statement[i].NotPrincipal`. */
  readonly where: string;
  readonly value: string;
  /** What is wrong, in words a person can act on. */
  readonly why: string;
}

const ACCOUNT_ID = /^\d{12}$/;
const IAM_ARN = /^arn:aws:iam::(\d{12}):(root|user\/.+|role\/.+)$/;
const STS_ARN = /^arn:aws:sts::(\d{12}):(assumed-role\/([\w+=,.@-]+)\/[\w+=,.@-]+|federated-user\/[\w+=,.@-]+)$/;

const PROVIDER_ARN = /^arn:aws:iam::(\d{12}):(oidc-provider\/[^\s*?]+|saml-provider\/[\w.-]+)$/;
/** Web identity providers every account trusts without an IAM provider (IAM User Guide, "OIDC federation"). */
const BUILT_IN_WEB_IDENTITY_PROVIDERS: ReadonlySet<string> = new Set(["cognito-identity.amazonaws.com", "www.amazon.com", "graph.facebook.com", "accounts.google.com"]);
/**
 * A service principal's shape: lower-case DNS labels under amazonaws.com (global, e.g. ec2.amazonaws.com,
 * or regional, e.g. states.us-east-1.amazonaws.com). IAM also knows which services exist; aws-local
 * can not, so a well-shaped unknown name passes (the one place this check is looser than IAM's).
 */
const SERVICE_PRINCIPAL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.amazonaws\.com$/;
const NOT_FEDERATED =
  "Federated principals must be valid domain names or SAML metadata ARNs: name arn:aws:iam::<account>:oidc-provider/<host/path> or arn:aws:iam::<account>:saml-provider/<name>, or cognito-identity.amazonaws.com, www.amazon.com, graph.facebook.com, accounts.google.com";

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

/** Why one `Federated` value is invalid, or undefined when it names an existing identity provider. */
export function federatedPrincipalProblem(value: string, directory: PrincipalDirectory): string | undefined {
  if (BUILT_IN_WEB_IDENTITY_PROVIDERS.has(value)) return undefined;
  const arn = PROVIDER_ARN.exec(value);
  if (arn === null) return NOT_FEDERATED;
  const [, acct = "", resource = ""] = arn;
  if (!directory.hasAccount(acct)) return `account ${acct} does not exist (it is not in the seed)`;
  if (resource.startsWith("oidc-provider/")) {
    return directory.hasOidcProviderArn(value) ? undefined : "no OIDC provider has this ARN (oidc_providers: arn:aws:iam::<account>:oidc-provider/<url without https://>)";
  }
  return directory.hasSamlProviderArn(value) ? undefined : "no SAML provider has this ARN (saml_providers: arn:aws:iam::<account>:saml-provider/<name>)";
}

/** Why one `Service` value is invalid, or undefined when it is shaped as an AWS service principal. */
export function servicePrincipalProblem(value: string): string | undefined {
  if (value.includes("*") || value.includes("?")) return "a service principal can not be a wildcard; name the service, e.g. ec2.amazonaws.com";
  return SERVICE_PRINCIPAL.test(value) ? undefined : "not an AWS service principal: use the service's name, e.g. ec2.amazonaws.com or states.<region>.amazonaws.com";
}

function principalProblem(kind: PrincipalKind, value: string, directory: PrincipalDirectory): string | undefined {
  if (kind === "AWS") return awsPrincipalProblem(value, directory);
  return kind === "Federated" ? federatedPrincipalProblem(value, directory) : servicePrincipalProblem(value);
}

const CHECKED_KINDS: readonly PrincipalKind[] = ["AWS", "Federated", "Service"];

function statementProblems(statement: PolicyStatement, index: number, directory: PrincipalDirectory): InvalidPrincipal[] {
  const problems: InvalidPrincipal[] = [];
  for (const element of ["Principal", "NotPrincipal"] as const) {
    const principal = statement[element];
    if (principal === undefined || principal === "*") continue;
    // NotPrincipal is typed with AWS only, but a policy from outside may carry any kind.
    const byKind = principal as Readonly<Partial<Record<PrincipalKind, StringOrList>>>;
    for (const kind of CHECKED_KINDS) {
      for (const value of values(byKind[kind])) {
        const why = principalProblem(kind, value, directory);
        if (why !== undefined) problems.push({ kind, where: `Statement[${index}].${element}`, value, why });
      }
    }
  }
  return problems;
}

/** Every `AWS`, `Federated` or `Service` principal of the policy that names nothing that exists (empty when all are valid). */
export function invalidPrincipals(policy: PolicyDocument, directory: PrincipalDirectory): readonly InvalidPrincipal[] {
  return statementsOf(policy).flatMap((s, i) => statementProblems(s, i, directory));
}

/** One problem as IAM words it: `Invalid principal in policy: "AWS":"<value>"` ("SERVICE" for services), plus why. */
export function describeInvalidPrincipal(p: InvalidPrincipal): string {
  const label = p.kind === "Service" ? "SERVICE" : p.kind;
  return `Invalid principal in policy: "${label}":${JSON.stringify(p.value)} (${p.where}: ${p.why})`;
}
