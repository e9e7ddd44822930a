// Who may use a KMS key, by AWS's rules. The key policy is the root of trust: without a key-policy
// Allow nothing is allowed, and IAM policies count only where the key policy delegates to an account
// (KMS Developer Guide, "Key policies"; "KMS key access and permissions"). How a key-policy grant
// combines with the caller's identity and session policies is IAM's rule for resource policies that
// must allow themselves, shared with role trust policies: see iam/resource-grant.ts.

import { statementsOf, type evaluatePolicies } from "../iam/evaluate.js";
import { combinedIdentityDecision, identityDecision } from "../iam/identity-decision.js";
import { resourceGrantRefusal, type ResourceGrantRefusal } from "../iam/resource-grant.js";
import { AwsError, type CallerIdentity, type PolicyDocument, type PolicyRequest } from "../types.js";
import type { EncryptionContext } from "./ciphertext.js";
import { effectiveKeyPolicy } from "./key-policy.js";
import type { KmsKey } from "./key-store.js";

export interface AuthorizeRequest {
  readonly caller: CallerIdentity;
  readonly key: KmsKey;
  /** e.g. "kms:Decrypt". */
  readonly action: string;
  readonly encryptionContext?: EncryptionContext;
  /** Alias name the request named the key by (kms:RequestAlias). */
  readonly alias?: string;
  /** Decrypt names no resource: AWS words the denial "the resource associated with this ciphertext". */
  readonly viaCiphertext?: boolean;
}

export type Authorize = (request: AuthorizeRequest) => void;

/** For calls on no particular key (CreateKey, ListAliases): only the caller's IAM policies decide. */
export type AuthorizeIdentity = (request: { readonly caller: CallerIdentity; readonly action: string }) => void;

/** AWS's wording of each refusal, after "User: … is not authorized to perform: … on …". */
const REFUSAL_WORDS: Readonly<Record<ResourceGrantRefusal, (action: string) => string>> = {
  "resource-deny": () => "with an explicit deny in a resource-based policy",
  "identity-deny": () => "with an explicit deny in an identity-based policy",
  "boundary-deny": () => "with an explicit deny in a permissions boundary",
  "session-deny": () => "with an explicit deny in a session policy",
  "no-resource-allow": (action) => `because no resource-based policy allows the ${action} action`,
  "no-identity-allow": (action) => `because no identity-based policy allows the ${action} action`,
  "no-boundary-allow": (action) => `because no permissions boundary allows the ${action} action`,
  "no-session-allow": (action) => `because no session policy allows the ${action} action`,
};

/** The kms:* condition keys of one request (fact sheet 3.6). */
export function kmsConditionContext(request: AuthorizeRequest): PolicyRequest["context"] {
  const context: Record<string, string | readonly string[]> = { "kms:CallerAccount": request.caller.accountId, "aws:ResourceAccount": request.key.accountId };
  for (const tag of request.key.tags) context[`aws:ResourceTag/${tag.TagKey}`] = tag.TagValue;
  if (request.encryptionContext !== undefined) {
    const keys = Object.keys(request.encryptionContext);
    for (const key of keys) context[`kms:EncryptionContext:${key}`] = request.encryptionContext[key] ?? "";
    context["kms:EncryptionContextKeys"] = keys;
    context["kms:EncryptionAlgorithm"] = "SYMMETRIC_DEFAULT";
  }
  if (request.alias !== undefined) context["kms:RequestAlias"] = request.alias;
  return context;
}

/**
 * condition keys are case-insensitive, so {"credvend:principal": "demo-app",
 * "credvend:Principal": "other-app"} gave kms:EncryptionContext:credvend:principal whichever pair came
 * last in the JSON. A caller could then pass a condition with a value of its choosing while the other
 * spelling (bound in the ciphertext) claimed someone else, e.g. Encrypt a message "for demo-app" under
 * a grant meant for its own principal. Which value AWS would use is not documented, so such a request
 * is refused whenever a policy that applies here reads that condition key. Returns the key read.
 */
function ambiguousContextKeyRead(context: EncryptionContext | undefined, policies: readonly PolicyDocument[]): string | undefined {
  if (context === undefined) return undefined;
  const seen = new Map<string, string>();
  const ambiguous = new Set<string>();
  for (const [key, value] of Object.entries(context)) {
    const lower = `kms:encryptioncontext:${key.toLowerCase()}`;
    const previous = seen.get(lower);
    if (previous !== undefined && previous !== value) ambiguous.add(lower);
    seen.set(lower, value);
  }
  if (ambiguous.size === 0) return undefined;
  for (const policy of policies) {
    for (const statement of statementsOf(policy)) {
      for (const block of Object.values(statement.Condition ?? {})) {
        const read = Object.keys(block).find((k) => ambiguous.has(k.toLowerCase()));
        if (read !== undefined) return read;
      }
    }
  }
  return undefined;
}

export function createKmsAuthorizer(evaluate: typeof evaluatePolicies): Authorize {
  return (request) => {
    const { caller, key, action } = request;
    const policyRequest: PolicyRequest = { action, resource: key.arn, caller, context: kmsConditionContext(request) };
    const on = request.viaCiphertext === true ? "the resource associated with this ciphertext" : `resource: ${key.arn}`;
    const deny = (why: string): never => {
      throw new AwsError("AccessDeniedException", `User: ${caller.arn} is not authorized to perform: ${action} on ${on} ${why}`, 400);
    };

    const keyPolicy = effectiveKeyPolicy(key.policy);
    const policies = [
      keyPolicy,
      ...caller.identityPolicies,
      ...(caller.permissionsBoundary === undefined ? [] : [caller.permissionsBoundary]),
      ...(caller.sessionPolicy === undefined ? [] : [caller.sessionPolicy]),
    ];
    const ambiguous = ambiguousContextKeyRead(request.encryptionContext, policies);
    if (ambiguous !== undefined) {
      deny(`because the encryption context has keys that differ only in case, so the policy condition key ${ambiguous} is ambiguous`);
    }
    const refusal = resourceGrantRefusal(evaluate, { request: policyRequest, resourcePolicy: keyPolicy, resourceAccountId: key.accountId });
    if (refusal !== undefined) deny(REFUSAL_WORDS[refusal](action));
  };
}

export function createIdentityAuthorizer(evaluate: typeof evaluatePolicies): AuthorizeIdentity {
  return ({ caller, action }) => {
    const policyRequest: PolicyRequest = { action, resource: "*", caller, context: { "kms:CallerAccount": caller.accountId } };
    const decision = identityDecision(evaluate, caller, policyRequest);
    const identity = combinedIdentityDecision(decision);
    const session = caller.sessionPolicy === undefined ? "Allow" : evaluate([caller.sessionPolicy], policyRequest);
    if (identity === "Allow" && session === "Allow") return;
    const why =
      identity === "ExplicitDeny" || session === "ExplicitDeny"
        ? "with an explicit deny"
        : decision.identity === "Allow" && decision.boundary !== "Allow"
          ? `because no permissions boundary allows the ${action} action`
          : `because no identity-based policy allows the ${action} action`;
    throw new AwsError("AccessDeniedException", `User: ${caller.arn} is not authorized to perform: ${action} on resource: * ${why}`, 400);
  };
}
