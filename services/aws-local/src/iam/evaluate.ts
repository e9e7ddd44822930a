// IAM policy evaluation: an explicit Deny wins, else any Allow allows, else the request is implicitly
// denied. Pure and allocation-light: it runs on every KMS call.

import type { PolicyDecision, PolicyDocument, PolicyRequest, PolicyStatement, StringOrList } from "../types.js";
import { conditionsHold } from "./conditions.js";
import { statementPrincipalMatches } from "./principal.js";
import { buildRequestContext, type RequestContext } from "./request-context.js";
import { expandToParts } from "./variables.js";
import { partsMatch, wildcardMatch } from "./wildcard.js";

export interface EvaluateOptions {
  /** Resource-based policy (trust policy, key policy): statements must name the caller as Principal. */
  readonly principalCheck?: boolean;
}

/** Policy variables exist only in the 2012-10-17 policy language. */
const VARIABLES_VERSION = "2012-10-17";

function list(value: StringOrList | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === "string" ? [value] : value;
}

export function statementsOf(policy: PolicyDocument): readonly PolicyStatement[] {
  const s = policy.Statement;
  return Array.isArray(s) ? s : [s as PolicyStatement];
}

/** Does the statement's Action/NotAction cover this action (IAM wildcards, case-insensitive)? */
export function actionMatches(statement: PolicyStatement, action: string): boolean {
  if (statement.Action !== undefined) return list(statement.Action).some((p) => wildcardMatch(p, action, true));
  if (statement.NotAction !== undefined) return !list(statement.NotAction).some((p) => wildcardMatch(p, action, true));
  return false;
}

function anyResourceMatches(patterns: readonly string[], resource: string, ctx: RequestContext, vars: boolean): boolean {
  return patterns.some((pattern) => {
    const parts = expandToParts(pattern, ctx, vars);
    return parts !== null && partsMatch(parts, resource, false);
  });
}

function resourceMatches(statement: PolicyStatement, resource: string, ctx: RequestContext, vars: boolean, resourcePolicy: boolean): boolean {
  if (statement.Resource !== undefined) return anyResourceMatches(list(statement.Resource), resource, ctx, vars);
  if (statement.NotResource !== undefined) {
    const patterns = list(statement.NotResource);
    // An unresolvable variable (e.g. ${aws:username} for a role session) must not count as "no
    // match": NotResource would turn into "every resource" and an Allow would grant everything. IAM
    // may treat such a statement as invalid; here it simply doesn't apply, as with negated conditions.
    if (patterns.some((p) => expandToParts(p, ctx, vars) === null)) return false;
    return !anyResourceMatches(patterns, resource, ctx, vars);
  }
  // Trust policies have no Resource: the policy is attached to the resource it governs.
  return resourcePolicy;
}

/** Does this statement apply to the request (principal, action, resource and every condition)? */
export function statementApplies(
  statement: PolicyStatement,
  request: PolicyRequest,
  ctx: RequestContext,
  variables: boolean,
  principalCheck: boolean,
): boolean {
  if (principalCheck && !statementPrincipalMatches(statement, request.caller, ctx)) return false;
  if (!actionMatches(statement, request.action)) return false;
  if (!resourceMatches(statement, request.resource, ctx, variables, principalCheck)) return false;
  return conditionsHold(statement.Condition, ctx, variables);
}

export function evaluatePolicies(
  policies: readonly PolicyDocument[],
  request: PolicyRequest,
  options?: EvaluateOptions,
): PolicyDecision {
  const principalCheck = options?.principalCheck === true;
  let ctx: RequestContext | undefined;
  let allowed = false;
  for (const policy of policies) {
    const variables = policy.Version === VARIABLES_VERSION;
    for (const statement of statementsOf(policy)) {
      // Cheap checks first; the context is built lazily, only once a statement could apply.
      if (!actionMatches(statement, request.action)) continue;
      if (allowed && statement.Effect === "Allow") continue;
      ctx ??= buildRequestContext(request);
      if (!statementApplies(statement, request, ctx, variables, principalCheck)) continue;
      if (statement.Effect === "Deny") return "ExplicitDeny";
      // Only "Allow" grants: "allow", "Permit" or a typo must never count as Allow
      // (checkPolicyDocument refuses other values at the boundaries anyway).
      if (statement.Effect === "Allow") allowed = true;
    }
  }
  return allowed ? "Allow" : "ImplicitDeny";
}
