// What a caller's own policies decide: its identity policies limited by its permissions boundary
// (IAM User Guide, "Permissions boundaries for IAM entities": "the entity can perform only the
// actions that are allowed by both its identity-based policies and its permissions boundaries. An
// explicit deny in either of these policies overrides the allow"). One home for the rule, so every
// place that asks "do the caller's policies allow this?" (STS, KMS, IAM, resource grants) applies it.
import type { CallerIdentity, EvaluatePolicies, PolicyDecision, PolicyRequest } from "../types.js";

export interface IdentityDecision {
  /** The identity policies alone. */
  readonly identity: PolicyDecision;
  /** The permissions boundary alone ("Allow" when the caller has none). */
  readonly boundary: PolicyDecision;
}

export function identityDecision(evaluate: EvaluatePolicies, caller: CallerIdentity, request: PolicyRequest): IdentityDecision {
  const identity = evaluate(caller.identityPolicies, request);
  const boundary = caller.permissionsBoundary === undefined ? "Allow" : evaluate([caller.permissionsBoundary], request);
  return { identity, boundary };
}

/** The combined decision: ExplicitDeny if either denies, Allow only if both allow. */
export function combinedIdentityDecision(decision: IdentityDecision): PolicyDecision {
  if (decision.identity === "ExplicitDeny" || decision.boundary === "ExplicitDeny") return "ExplicitDeny";
  return decision.identity === "Allow" && decision.boundary === "Allow" ? "Allow" : "ImplicitDeny";
}
