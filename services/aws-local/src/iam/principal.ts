// Principal / NotPrincipal matching for resource-based policies (trust policies, key policies).

import type { CallerIdentity, PolicyStatement, StringOrList } from "../types.js";
import { isIdentityProviderCaller, type RequestContext } from "./request-context.js";

const ACCOUNT_ID = /^\d{12}$/;
const ROOT_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;

function list(value: StringOrList | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === "string" ? [value] : value;
}

/**
 * Does one `AWS` principal value name this caller? An account id or its root ARN stands for every
 * principal of that account; an assumed-role session is named by its role ARN or its own session ARN.
 */
export function awsPrincipalMatches(value: string, caller: CallerIdentity): boolean {
  // An identity-provider caller has no AWS identity: only `Federated` (or "*") can name it.
  if (isIdentityProviderCaller(caller)) return false;
  if (value === "*") return true;
  if (ACCOUNT_ID.test(value)) return value === caller.accountId;
  const root = ROOT_ARN.exec(value);
  if (root !== null) return root[1] === caller.accountId;
  if (value === caller.arn) return true;
  return caller.kind === "assumed-role" && caller.roleArn !== undefined && value === caller.roleArn;
}

type PrincipalElement = NonNullable<PolicyStatement["Principal"]>;

/**
 * `Federated` values match the caller ARN or the request's `aws:FederatedProvider` (set by STS for
 * web identity / SAML); `Service` principals never match a signed caller here.
 */
export function principalElementMatches(element: PrincipalElement, caller: CallerIdentity, ctx: RequestContext): boolean {
  if (element === "*") return true;
  if (list(element.AWS).some((v) => awsPrincipalMatches(v, caller))) return true;
  if ("Federated" in element) {
    const provider = ctx.get("aws:federatedprovider");
    if (list(element.Federated).some((v) => v === caller.arn || (typeof provider === "string" && v === provider))) return true;
  }
  return false;
}

/**
 * Is the caller exempted by a NotPrincipal element? Not the same as Principal matching, where an
 * account id / root ARN stands for every principal of the account: then a Deny with
 * `"NotPrincipal": {"AWS": "<account>"}` would exempt every user and role of that account. In AWS,
 * naming the account in NotPrincipal exempts the account (root) only; its users and roles must be named too
 * (AWS docs, "NotPrincipal": "you must also specify the account ARN of the not-denied principal").
 */
function notPrincipalExempts(element: PrincipalElement, caller: CallerIdentity, ctx: RequestContext): boolean {
  if (element === "*") return true;
  const named = list(element.AWS).some((v) => {
    if (ACCOUNT_ID.test(v) || ROOT_ARN.test(v)) return caller.kind === "root" && awsPrincipalMatches(v, caller);
    return awsPrincipalMatches(v, caller);
  });
  return named || principalElementMatches({ ...element, AWS: [] }, caller, ctx);
}

export function statementPrincipalMatches(statement: PolicyStatement, caller: CallerIdentity, ctx: RequestContext): boolean {
  if (statement.Principal !== undefined) return principalElementMatches(statement.Principal, caller, ctx);
  if (statement.NotPrincipal !== undefined) {
    // "The NotPrincipal element with a Deny effect will always deny any IAM principal that has a
    // permissions boundary policy attached, regardless of the values specified in the NotPrincipal
    // element" (IAM User Guide, "Permissions boundaries for IAM entities").
    if (statement.Effect === "Deny" && caller.permissionsBoundary !== undefined) return true;
    return !notPrincipalExempts(statement.NotPrincipal, caller, ctx);
  }
  // A resource-based policy statement without a principal applies to no one.
  return false;
}
