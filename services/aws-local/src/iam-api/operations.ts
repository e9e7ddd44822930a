// The IAM operations aws-local serves: a role's inline policies (Put/Get/Delete/ListRolePolicies)
// and GetRole. Each one, as in IAM: validate the members -> authorize the caller's identity policies
// for iam:<Action> on the role's ARN -> find the role in the caller's own account -> act.
import type { Principal } from "../core/authenticate.js";
import type { IamRole, IamWorld } from "../core/world.js";
import { identityDecision } from "../iam/identity-decision.js";
import type { RolePolicyStore } from "../iam/role-policies.js";
import { roleResourceKeys } from "../sts/role-session.js";
import type { QueryParams } from "../sts/query-params.js";
import { POLICY_CHARS, Validator } from "../sts/validation.js";
import { el, group, isoSeconds } from "../sts/xml.js";
import { AwsError, type EvaluatePolicies, type PolicyRequest } from "../types.js";
import { checkAggregateSize, parseRolePolicyDocument } from "./policy-document.js";
import { encodePolicyDocument } from "./xml.js";

export const IAM_VERSION = "2010-05-08";

export interface IamDeps {
  readonly world: IamWorld;
  readonly rolePolicies: RolePolicyStore;
  readonly evaluate: EvaluatePolicies;
  /** CreateDate of every seeded role: when this aws-local started. */
  readonly startedAtMs: number;
}

export interface IamCall {
  readonly params: QueryParams;
  readonly principal: Principal;
}

/** Returns the XML inside `<OpResult>`, or undefined for operations without output. */
export type IamOperation = (call: IamCall, deps: IamDeps) => string | undefined;

const NON_EMPTY_NAME = /^[\w+=,.@-]+$/;
const MARKER_CHARS = /^[\u0020-\u00FF]+$/;
const DEFAULT_MAX_ITEMS = 100;

function validateRoleName(v: Validator, value: string | undefined): void {
  if (v.required("roleName", value)) v.text("roleName", value, 1, 64, NON_EMPTY_NAME);
}

function validatePolicyName(v: Validator, value: string | undefined): void {
  if (v.required("policyName", value)) v.text("policyName", value, 1, 128, NON_EMPTY_NAME);
}

function noSuchRole(name: string): AwsError {
  return new AwsError("NoSuchEntity", `The role with name ${name} cannot be found.`, 404);
}

/**
 * Identity-side authorization, as IAM does it for its own API: the caller's identity policies
 * (and its session policy) must allow; federated-user sessions may call no IAM API, and
 * GetSessionToken credentials only with MFA.
 */
function authorize(deps: IamDeps, principal: Principal, action: string, roleName: string, role: IamRole | undefined): void {
  const caller = principal.identity;
  const arn = role?.arn ?? `arn:aws:iam::${caller.accountId}:role/${roleName}`;
  const denied = (why: string) =>
    new AwsError("AccessDenied", `User: ${caller.arn} is not authorized to perform: ${action} on resource: role ${roleName} ${why}`, 403);
  if (principal.session?.kind === "federation") throw denied("because federated user sessions (GetFederationToken) can not call IAM");
  if (principal.session?.kind === "session-token" && !caller.mfaPresent) {
    throw denied("because GetSessionToken credentials can call IAM only when the session was created with MFA");
  }
  const request: PolicyRequest = { action, resource: arn, caller, context: role === undefined ? {} : roleResourceKeys(role) };
  const { identity, boundary } = identityDecision(deps.evaluate, caller, request);
  if (identity === "ExplicitDeny") throw denied(`with an explicit deny in an identity-based policy`);
  if (boundary === "ExplicitDeny") throw denied(`with an explicit deny in a permissions boundary`);
  if (identity !== "Allow") throw denied(`because no identity-based policy allows the ${action} action`);
  if (boundary !== "Allow") throw denied(`because no permissions boundary allows the ${action} action`);
  if (caller.sessionPolicy !== undefined) {
    const session = deps.evaluate([caller.sessionPolicy], request);
    if (session === "ExplicitDeny") throw denied("with an explicit deny in a session policy");
    if (session !== "Allow") throw denied(`because no session policy allows the ${action} action`);
  }
}

/** The role the operation names, in the caller's account, after authorization. */
function authorizedRole(call: IamCall, deps: IamDeps, action: string, roleName: string): IamRole {
  const accountId = call.principal.identity.accountId;
  const role = deps.world.roles.find((r) => r.accountId === accountId && r.name.toLowerCase() === roleName.toLowerCase());
  authorize(deps, call.principal, action, roleName, role);
  if (role === undefined) throw noSuchRole(roleName);
  return role;
}

function noSuchRolePolicy(policyName: string, roleName: string): AwsError {
  return new AwsError("NoSuchEntity", `The role policy with name ${policyName} cannot be found on role ${roleName}.`, 404);
}

/**
 * The role and policy name a role-policy call names, validated (with `more` for its other
 * parameters, all reported together as AWS does) and authorized for `action`.
 */
function rolePolicyTarget(call: IamCall, deps: IamDeps, action: string, more: (v: Validator) => void = () => undefined): { role: IamRole; policyName: string } {
  const v = new Validator();
  const roleName = call.params.get("RoleName");
  const policyName = call.params.get("PolicyName");
  validateRoleName(v, roleName);
  validatePolicyName(v, policyName);
  more(v);
  v.done();
  return { role: authorizedRole(call, deps, action, roleName ?? ""), policyName: policyName ?? "" };
}

export const putRolePolicy: IamOperation = (call, deps) => {
  const text = call.params.get("PolicyDocument");
  const { role, policyName } = rolePolicyTarget(call, deps, "iam:PutRolePolicy", (v) => {
    if (v.required("policyDocument", text)) v.text("policyDocument", text, 1, 131_072, POLICY_CHARS);
  });
  const policy = { name: policyName, document: parseRolePolicyDocument(text ?? ""), text: text ?? "" };
  checkAggregateSize(role.name, deps.rolePolicies.withReplacement(role, policy));
  deps.rolePolicies.put(role, policy);
  return undefined;
};

export const getRolePolicy: IamOperation = (call, deps) => {
  const { role, policyName } = rolePolicyTarget(call, deps, "iam:GetRolePolicy");
  const policy = deps.rolePolicies.get(role, policyName);
  if (policy === undefined) throw noSuchRolePolicy(policyName, role.name);
  return el("RoleName", role.name) + el("PolicyName", policy.name) + el("PolicyDocument", encodePolicyDocument(policy.text));
};

export const deleteRolePolicy: IamOperation = (call, deps) => {
  const { role, policyName } = rolePolicyTarget(call, deps, "iam:DeleteRolePolicy");
  if (!deps.rolePolicies.delete(role, policyName)) throw noSuchRolePolicy(policyName, role.name);
  return undefined;
};

export const listRolePolicies: IamOperation = (call, deps) => {
  const v = new Validator();
  const roleName = call.params.get("RoleName");
  const marker = call.params.get("Marker");
  validateRoleName(v, roleName);
  v.text("marker", marker, 1, 320, MARKER_CHARS);
  const maxItems = v.integer("maxItems", call.params.get("MaxItems"), 1, 1000) ?? DEFAULT_MAX_ITEMS;
  v.done();
  const role = authorizedRole(call, deps, "iam:ListRolePolicies", roleName ?? "");
  const names = deps.rolePolicies.names(role);
  // The marker is the first name of the next page; one that names no policy any more resumes after it.
  const start = marker === undefined ? 0 : names.findIndex((n) => n >= marker);
  const from = start < 0 ? names.length : start;
  const page = names.slice(from, from + maxItems);
  const next = names[from + maxItems];
  return (
    group("PolicyNames", page.map((n) => el("member", n)).join("")) +
    el("IsTruncated", next === undefined ? "false" : "true") +
    el("Marker", next)
  );
};

export const getRole: IamOperation = (call, deps) => {
  const v = new Validator();
  const roleName = call.params.get("RoleName");
  validateRoleName(v, roleName);
  v.done();
  const role = authorizedRole(call, deps, "iam:GetRole", roleName ?? "");
  const path = role.arn.slice(role.arn.indexOf(":role") + ":role".length, role.arn.length - role.name.length);
  const tags = Object.entries(role.tags).map(([k, value]) => group("member", el("Key", k) + el("Value", value)));
  return group(
    "Role",
    el("Path", path) +
      el("RoleName", role.name) +
      el("RoleId", role.roleId) +
      el("Arn", role.arn) +
      el("CreateDate", isoSeconds(deps.startedAtMs)) +
      el("AssumeRolePolicyDocument", encodePolicyDocument(JSON.stringify(role.trustPolicy))) +
      el("MaxSessionDuration", role.maxSessionDurationSeconds) +
      (role.permissionsBoundary === undefined
        ? ""
        : group("PermissionsBoundary", el("PermissionsBoundaryType", "Policy") + el("PermissionsBoundaryArn", role.permissionsBoundary.arn))) +
      (tags.length === 0 ? "" : group("Tags", tags.join(""))) +
      group("RoleLastUsed", ""),
  );
};

export const IAM_OPERATIONS: Readonly<Record<string, IamOperation>> = {
  PutRolePolicy: putRolePolicy,
  GetRolePolicy: getRolePolicy,
  DeleteRolePolicy: deleteRolePolicy,
  ListRolePolicies: listRolePolicies,
  GetRole: getRole,
};
