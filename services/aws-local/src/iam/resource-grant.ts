// How a resource-based policy that must itself allow (a role trust policy, a KMS key policy) combines
// with the caller's identity and session policies. Both kinds are "exceptions" to the usual union of
// identity and resource grants: the resource policy must always allow (IAM User Guide, "Policy
// evaluation logic", resource-based policies step). What else is needed depends on how the allowing
// statement names the caller (same page, "Resource-based policies and implicit denies in other policy
// types (same account)"; "Policies and permissions in IAM", Session policies):
//   - the caller's session itself (an assumed-role session ARN, a federated-user ARN) or "*": granted
//     directly, not limited by an implicit deny in identity or session policies ("*": "Principal"
//     element page, session policies do not limit what a wildcard Principal grants);
//   - the IAM user or role behind the caller (user ARN, role ARN): not limited by the identity
//     policies, but a session policy must allow;
//   - an account (its id or root ARN): only delegates to that account's IAM ("Principal" element page,
//     AWS account principals), so the identity policies and any session policy must allow.
// A caller from another account needs its identity policies (and session policy) whatever the
// statement names ("Cross-account policy evaluation logic"). An explicit Deny anywhere wins.
// Permissions boundaries: only a grant naming the caller's session itself escapes an implicit deny in
// the caller's boundary ("Policy evaluation logic": a boundary limits what a resource policy grants to
// the role ARN, not to the role session ARN). What it does for a grant to a user ARN is worded both
// ways on that page and what it does for "*" is not written down, so aws-local takes the stricter
// reading (the boundary must allow) for both: it must never allow what AWS refuses.

import type { CallerIdentity, EvaluatePolicies, PolicyDocument, PolicyRequest, PolicyStatement, StringOrList } from "../types.js";
import { statementsOf } from "./evaluate.js";
import { identityDecision } from "./identity-decision.js";

const ACCOUNT_PRINCIPAL = /^(\d{12}|arn:aws[a-z-]*:iam::\d{12}:root)$/;
/** Session principals: assumed-role sessions and federated users (STS ARNs). */
const SESSION_PRINCIPAL = /^arn:aws[a-z-]*:sts::/;

function values(value: StringOrList | undefined): readonly string[] {
  if (value === undefined) return [];
  return typeof value === "string" ? [value] : value;
}

/** A resource policy's Allow statements, regrouped by how their principals name a caller. */
interface SplitPolicy {
  /** Statements naming sessions, or non-AWS principals (Federated, Service): direct grants. */
  readonly session: PolicyDocument;
  /** Statements naming "*": direct grants too, but limited by the caller's permissions boundary. */
  readonly anyone: PolicyDocument;
  /** Statements naming IAM users and roles: limited by the caller's session policy. */
  readonly entity: PolicyDocument;
  /** Statements naming accounts (and Allow with NotPrincipal, which names no one): delegations to IAM. */
  readonly account: PolicyDocument;
}

const splitCache = new WeakMap<PolicyDocument, SplitPolicy>();

function splitResourcePolicy(policy: PolicyDocument): SplitPolicy {
  const cached = splitCache.get(policy);
  if (cached !== undefined) return cached;
  const session: PolicyStatement[] = [];
  const anyone: PolicyStatement[] = [];
  const entity: PolicyStatement[] = [];
  const account: PolicyStatement[] = [];
  for (const statement of statementsOf(policy)) {
    if (statement.Effect !== "Allow") continue;
    const principal = statement.Principal;
    // An Allow with NotPrincipal grants to "everyone but": no AWS page says it grants directly, so it
    // is taken as the strictest kind (the caller's own policies must allow too).
    if (principal === undefined) {
      account.push(statement);
      continue;
    }
    if (principal === "*") {
      anyone.push(statement);
      continue;
    }
    const aws = values(principal.AWS);
    const byKind = (test: (v: string) => boolean) => aws.filter(test);
    const accounts = byKind((v) => ACCOUNT_PRINCIPAL.test(v));
    const sessions = byKind((v) => SESSION_PRINCIPAL.test(v));
    const entities = byKind((v) => !ACCOUNT_PRINCIPAL.test(v) && v !== "*" && !SESSION_PRINCIPAL.test(v));
    const { AWS: _aws, ...otherKinds } = principal;
    if (sessions.length > 0 || Object.keys(otherKinds).length > 0) session.push({ ...statement, Principal: { ...otherKinds, AWS: sessions } });
    if (aws.includes("*")) anyone.push({ ...statement, Principal: { AWS: "*" } });
    if (entities.length > 0) entity.push({ ...statement, Principal: { AWS: entities } });
    if (accounts.length > 0) account.push({ ...statement, Principal: { AWS: accounts } });
  }
  const doc = (s: PolicyStatement[]): PolicyDocument => ({ ...policy, Statement: s });
  const split = { session: doc(session), anyone: doc(anyone), entity: doc(entity), account: doc(account) };
  splitCache.set(policy, split);
  return split;
}

/** Why a request was refused, for the service to word in its own style. */
export type ResourceGrantRefusal =
  | "resource-deny"
  | "identity-deny"
  | "boundary-deny"
  | "session-deny"
  | "no-resource-allow"
  | "no-identity-allow"
  | "no-boundary-allow"
  | "no-session-allow";

export interface ResourceGrantRequest {
  readonly request: PolicyRequest;
  readonly resourcePolicy: PolicyDocument;
  readonly resourceAccountId: string;
}

/** undefined when allowed; otherwise the first reason it is refused. */
export function resourceGrantRefusal(evaluate: EvaluatePolicies, input: ResourceGrantRequest): ResourceGrantRefusal | undefined {
  const { request, resourcePolicy } = input;
  const caller: CallerIdentity = request.caller;
  if (evaluate([resourcePolicy], request, { principalCheck: true }) === "ExplicitDeny") return "resource-deny";
  const { identity, boundary } = identityDecision(evaluate, caller, request);
  if (identity === "ExplicitDeny") return "identity-deny";
  if (boundary === "ExplicitDeny") return "boundary-deny";
  const session = caller.sessionPolicy === undefined ? "Allow" : evaluate([caller.sessionPolicy], request);
  if (session === "ExplicitDeny") return "session-deny";

  const split = splitResourcePolicy(resourcePolicy);
  const grants = (doc: PolicyDocument) => evaluate([doc], request, { principalCheck: true }) === "Allow";
  const direct = grants(split.session);
  const anyone = !direct && grants(split.anyone);
  const entity = !direct && !anyone && grants(split.entity);
  const account = !direct && !anyone && !entity && grants(split.account);
  if (!direct && !anyone && !entity && !account) return "no-resource-allow";

  if (caller.accountId !== input.resourceAccountId) {
    if (identity !== "Allow") return "no-identity-allow";
    if (boundary !== "Allow") return "no-boundary-allow";
    return session === "Allow" ? undefined : "no-session-allow";
  }
  if (direct) return undefined;
  if (account && identity !== "Allow") return "no-identity-allow";
  if (boundary !== "Allow") return "no-boundary-allow";
  if (anyone) return undefined;
  return session === "Allow" ? undefined : "no-session-allow";
}
