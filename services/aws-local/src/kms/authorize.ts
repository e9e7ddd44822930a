// Who may use a KMS key, by AWS's rules. The key policy is the root of trust: without a key-policy
// Allow nothing is allowed. A key-policy statement that names a principal itself (its ARN, or "*")
// grants to it directly. A statement that names an account (its id or its root ARN) only *delegates*
// to that account's IAM: the caller's identity policies must then allow the call too (with that
// statement's conditions still applying). A caller from another account always needs both: the key
// policy (naming it or its account) and its own identity policies. An explicit Deny in the key
// policy, the identity policies or the session policy wins; a session policy must also allow.

import { statementsOf, type evaluatePolicies } from "../iam/evaluate.js";
import { AwsError, type CallerIdentity, type PolicyDocument, type PolicyRequest, type PolicyStatement, type StringOrList } from "../types.js";
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

/** For calls on no particular key (CreateKey, ListAliases): only the caller's IAM policies decide. */
export type AuthorizeIdentity = (request: { readonly caller: CallerIdentity; readonly action: string }) => void;

const ACCOUNT_PRINCIPAL = /^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:root)$/;

function principalValues(value: StringOrList | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === "string" ? [value] : value;
}

interface SplitKeyPolicy {
  /** Allow statements with their account principals removed: grants that need no IAM policy. */
  readonly direct: PolicyDocument;
  /** Allow statements with only their account principals: delegations to each account's IAM. */
  readonly delegating: PolicyDocument;
}

const splitCache = new WeakMap<PolicyDocument, SplitKeyPolicy>();

/** Splits a key policy's Allow statements by how they name principals (cached per policy object). */
function splitKeyPolicy(policy: PolicyDocument): SplitKeyPolicy {
  const cached = splitCache.get(policy);
  if (cached !== undefined) return cached;
  const direct: PolicyStatement[] = [];
  const delegating: PolicyStatement[] = [];
  for (const statement of statementsOf(policy)) {
    if (statement.Effect !== "Allow") continue;
    const principal = statement.Principal;
    if (principal === undefined || principal === "*" || principal.AWS === undefined) {
      direct.push(statement);
      continue;
    }
    const values = principalValues(principal.AWS);
    const accounts = values.filter((v) => ACCOUNT_PRINCIPAL.test(v));
    const named = values.filter((v) => !ACCOUNT_PRINCIPAL.test(v));
    const { AWS: _aws, ...otherKinds } = principal;
    if (named.length > 0 || Object.keys(otherKinds).length > 0) direct.push({ ...statement, Principal: { ...otherKinds, AWS: named } });
    if (accounts.length > 0) delegating.push({ ...statement, Principal: { AWS: accounts } });
  }
  const split = { direct: { ...policy, Statement: direct }, delegating: { ...policy, Statement: delegating } };
  splitCache.set(policy, split);
  return split;
}

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

    const policies = [key.policy, ...caller.identityPolicies, ...(caller.sessionPolicy === undefined ? [] : [caller.sessionPolicy])];
    const ambiguous = ambiguousContextKeyRead(request.encryptionContext, policies);
    if (ambiguous !== undefined) {
      deny(`because the encryption context has keys that differ only in case, so the policy condition key ${ambiguous} is ambiguous`);
    }
    if (evaluate([key.policy], policyRequest, { principalCheck: true }) === "ExplicitDeny") deny("with an explicit deny in a resource-based policy");
    const identityDecision = evaluate(caller.identityPolicies, policyRequest);
    if (identityDecision === "ExplicitDeny") deny("with an explicit deny in an identity-based policy");
    const sessionDecision = caller.sessionPolicy === undefined ? undefined : evaluate([caller.sessionPolicy], policyRequest);
    if (sessionDecision === "ExplicitDeny") deny("with an explicit deny in a session policy");

    const split = splitKeyPolicy(key.policy);
    const direct = evaluate([split.direct], policyRequest, { principalCheck: true }) === "Allow";
    const delegated = evaluate([split.delegating], policyRequest, { principalCheck: true }) === "Allow";
    if (!direct && !delegated) deny(`because no resource-based policy allows the ${action} action`);
    const sameAccount = caller.accountId === key.accountId;
    // Same account: a statement naming the caller needs nothing more; an account delegation needs
    // IAM. Another account: the caller's own IAM policies must allow either way.
    if ((!sameAccount || !direct) && identityDecision !== "Allow") deny(`because no identity-based policy allows the ${action} action`);
    if (sessionDecision !== undefined && sessionDecision !== "Allow") deny(`because no session policy allows the ${action} action`);
  };
}

export function createIdentityAuthorizer(evaluate: typeof evaluatePolicies): AuthorizeIdentity {
  return ({ caller, action }) => {
    const policyRequest: PolicyRequest = { action, resource: "*", caller, context: { "kms:CallerAccount": caller.accountId } };
    const identity = evaluate(caller.identityPolicies, policyRequest);
    const session = caller.sessionPolicy === undefined ? "Allow" : evaluate([caller.sessionPolicy], policyRequest);
    if (identity === "Allow" && session === "Allow") return;
    const why = identity === "ExplicitDeny" || session === "ExplicitDeny" ? "with an explicit deny" : "because no identity-based policy allows the " + action + " action";
    throw new AwsError("AccessDeniedException", `User: ${caller.arn} is not authorized to perform: ${action} on resource: * ${why}`, 400);
  };
}
