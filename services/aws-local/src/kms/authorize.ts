// Who may use a KMS key. The key policy is the root of trust, as in AWS: without a key-policy Allow
// nothing is allowed. An explicit Deny in the key policy, the caller's identity policies or its
// session policy wins, and a session policy, when the caller has one, must also allow.
//
// Identity policies can't add an Allow here. In AWS a key policy naming the account root only
// *enables* IAM policies, whose Allow is then needed too. aws-local's evaluator follows the shared
// contract instead: the account root stands for every principal of the account, so such a statement
// (conditions included) already grants. An extra "identity Allow" path would only let an IAM policy
// skip that statement's conditions, e.g. decrypt a reply sealed for another principal.

import { statementsOf, type evaluatePolicies } from "../iam/evaluate.js";
import { AwsError, type CallerIdentity, type PolicyDocument, type PolicyRequest } from "../types.js";
import type { EncryptionContext } from "./ciphertext.js";
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

/** The kms:* condition keys of one request (fact sheet 3.6). */
export function kmsConditionContext(request: AuthorizeRequest): PolicyRequest["context"] {
  const context: Record<string, string | readonly string[]> = { "kms:CallerAccount": request.caller.accountId };
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

    const policies = [key.policy, ...caller.identityPolicies, ...(caller.sessionPolicy === undefined ? [] : [caller.sessionPolicy])];
    const ambiguous = ambiguousContextKeyRead(request.encryptionContext, policies);
    if (ambiguous !== undefined) {
      deny(`because the encryption context has keys that differ only in case, so the policy condition key ${ambiguous} is ambiguous`);
    }
    const keyDecision = evaluate([key.policy], policyRequest, { principalCheck: true });
    if (keyDecision === "ExplicitDeny") deny("with an explicit deny in a resource-based policy");
    if (caller.identityPolicies.length > 0 && evaluate(caller.identityPolicies, policyRequest) === "ExplicitDeny") {
      deny("with an explicit deny in an identity-based policy");
    }
    const sessionDecision = caller.sessionPolicy === undefined ? undefined : evaluate([caller.sessionPolicy], policyRequest);
    if (sessionDecision === "ExplicitDeny") deny("with an explicit deny in a session policy");
    if (keyDecision !== "Allow") deny(`because no resource-based policy allows the ${action} action`);
    if (sessionDecision !== undefined && sessionDecision !== "Allow") deny(`because no session policy allows the ${action} action`);
  };
}
