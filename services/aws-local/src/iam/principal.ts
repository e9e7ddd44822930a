// Principal / NotPrincipal matching for resource-based policies (trust policies, key policies).

import type { CallerIdentity, PolicyStatement, StringOrList } from "../types.js";
import type { RequestContext } from "./request-context.js";

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

export function statementPrincipalMatches(statement: PolicyStatement, caller: CallerIdentity, ctx: RequestContext): boolean {
  if (statement.Principal !== undefined) return principalElementMatches(statement.Principal, caller, ctx);
  if (statement.NotPrincipal !== undefined) return !principalElementMatches(statement.NotPrincipal, caller, ctx);
  // A resource-based policy statement without a principal applies to no one.
  return false;
}
