// AssumeRole (fact sheet 1.2). Order: syntax -> session-input rules -> caller kind -> role lookup
// -> duration limits -> MFA -> trust policy with identity and session policies -> tag/source-identity inheritance
// -> issue.
import { AwsError, type PolicyRequest } from "../types.js";
import { resourceGrantRefusal } from "../iam/resource-grant.js";
import { accessDenied, checkMfa, mergeTags, type StsOperation } from "./common.js";
import { checkRoleDuration, DEFAULT_ROLE_SESSION_SECONDS, issueRoleSession, roleResourceKeys } from "./role-session.js";
import { checkSessionInputs, readSessionInputs, SESSION_INPUTS_ASSUME_ROLE } from "./session-inputs.js";
import { ARN_PATTERN, EXTERNAL_ID_PATTERN, NAME_PATTERN, SERIAL_PATTERN, validationError, Validator } from "./validation.js";
import { readMinimumSessionTokenSize, readProvidedContexts, refuseProvidedContexts } from "./newer-members.js";
import { credentialsXml, el } from "./xml.js";

export { DEFAULT_ROLE_SESSION_SECONDS, ROLE_CHAINING_MAX_SECONDS } from "./role-session.js";

export const assumeRole: StsOperation = ({ params: p, principal }, deps) => {
  const v = new Validator();
  const roleArn = p.get("RoleArn");
  const sessionName = p.get("RoleSessionName");
  if (v.required("roleArn", roleArn)) v.text("roleArn", roleArn, 20, 2048, ARN_PATTERN);
  if (v.required("roleSessionName", sessionName)) v.text("roleSessionName", sessionName, 2, 64, NAME_PATTERN);
  const duration = v.integer("durationSeconds", p.get("DurationSeconds"), 900, 43200) ?? DEFAULT_ROLE_SESSION_SECONDS;
  const externalId = p.get("ExternalId");
  v.text("externalId", externalId, 2, 1224, EXTERNAL_ID_PATTERN);
  const serial = p.get("SerialNumber");
  v.text("serialNumber", serial, 9, 256, SERIAL_PATTERN);
  const tokenCode = p.get("TokenCode");
  v.text("tokenCode", tokenCode, 6, 6, /^\d*$/);
  const sourceIdentity = p.get("SourceIdentity");
  v.text("sourceIdentity", sourceIdentity, 2, 64, NAME_PATTERN);
  const raw = readSessionInputs(p, v, SESSION_INPUTS_ASSUME_ROLE);
  const providedContexts = readProvidedContexts(p, v);
  const minimumSessionTokenSize = readMinimumSessionTokenSize(p, v);
  v.done();
  // SourceIdentity may not start with "aws:"; the pattern above already rejects every ':'.
  const inputs = checkSessionInputs(raw);
  refuseProvidedContexts(providedContexts);
  if (roleArn === undefined || sessionName === undefined) throw validationError("RoleArn and RoleSessionName are required.");

  const caller = principal.identity;
  const from = principal.session;
  if (from?.kind === "federation") throw accessDenied(caller.arn, "sts:AssumeRole", roleArn);
  // STS API Reference, AssumeRole: "You cannot use AWS account root user credentials to call
  // AssumeRole"; whatever the trust policy says (even naming the account root), the call is refused.
  if (caller.kind === "root") throw new AwsError("AccessDenied", "Roles may not be assumed by root accounts.", 403);
  const role = deps.world.roleByArn(roleArn);
  if (role === undefined) throw accessDenied(caller.arn, "sts:AssumeRole", roleArn);

  checkRoleDuration(role, duration, from?.kind === "assumed-role");

  const mfaNow = checkMfa(deps, principal, serial, tokenCode);
  const mfaPresent = mfaNow || caller.mfaPresent;
  // A code checked now restarts the MFA age; a chained session keeps its caller's (aws:MultiFactorAuthAge).
  const mfaAuthenticatedAtMs = mfaNow ? deps.clock.now() : caller.mfaAuthenticatedAtMs;
  const actingCaller = mfaNow ? { ...caller, mfaPresent, ...(mfaAuthenticatedAtMs === undefined ? {} : { mfaAuthenticatedAtMs }) } : caller;

  // Tags inherited through a role chain may not be overridden by this call's session tags.
  const inherited = from?.transitiveTags ?? {};
  const inheritedLower = new Set(Object.keys(inherited).map((k) => k.toLowerCase()));
  for (const [key] of inputs.tags) {
    if (inheritedLower.has(key.toLowerCase())) {
      throw validationError(`The session tag '${key}' repeats a transitive tag inherited from the calling session; remove it.`);
    }
  }
  if (from?.sourceIdentity !== undefined && sourceIdentity !== undefined && sourceIdentity !== from.sourceIdentity) {
    throw validationError("SourceIdentity can not be changed once set on a role session; pass the same value or none.");
  }

  // A source identity set on the calling session carries over to this one: in a role chain it
  // needs sts:SetSourceIdentity like one passed here (IAM User Guide, "Monitor and control actions
  // taken with assumed roles": required in both the caller's permissions and the trust policy).
  const effectiveSourceIdentity = sourceIdentity ?? from?.sourceIdentity;
  const requestTags = Object.fromEntries(inputs.tags);
  const context: PolicyRequest["context"] = {
    ...roleResourceKeys(role),
    "sts:ExternalId": externalId,
    "sts:RoleSessionName": sessionName,
    "sts:SourceIdentity": effectiveSourceIdentity,
    "sts:TransitiveTagKeys": inputs.transitiveTagKeys.length > 0 ? inputs.transitiveTagKeys : undefined,
    // aws:MultiFactorAuthPresent is not overridden here: the request context sets it from the acting
    // caller as AWS does (true with MFA; false for temporary credentials without; absent for a
    // long-term key without MFA). Dropping it made "Deny if Bool aws:MultiFactorAuthPresent false"
    // never fire for role-chaining and session-token callers.
    "aws:TagKeys": inputs.tags.length > 0 ? inputs.tags.map(([k]) => k) : undefined,
    ...Object.fromEntries(Object.entries(requestTags).map(([k, val]) => [`aws:RequestTag/${k}`, val])),
  };
  const actions = ["sts:AssumeRole"];
  if (inputs.tags.length > 0) actions.push("sts:TagSession");
  if (effectiveSourceIdentity !== undefined) actions.push("sts:SetSourceIdentity");
  // The trust policy must allow; whether the caller's own policies must allow too depends on how it
  // names the caller (its user, role or session ARN: no; its account: yes; another account: always).
  for (const action of actions) {
    const request = { action, resource: role.arn, caller: actingCaller, context };
    const refusal = resourceGrantRefusal(deps.evaluate, { request, resourcePolicy: role.trustPolicy, resourceAccountId: role.accountId });
    if (refusal !== undefined) throw accessDenied(caller.arn, action, role.arn);
  }

  const transitiveTags = mergeTags(
    inherited,
    Object.fromEntries(inputs.tags.filter(([k]) => inputs.transitiveTagKeys.some((t) => t.toLowerCase() === k.toLowerCase()))),
  );
  // No federatedProvider / federationKeys: this call itself is evaluated with the calling session's
  // keys (actingCaller), but AWS documents only transitive tags and the source identity as carried
  // into a chained session ("Chaining roles with session tags"; "Monitor and control actions taken
  // with assumed roles"), so a chained session never has saml:sub or <provider>:sub.
  const { session, assumedRoleUserXml } = issueRoleSession(deps, {
    role,
    sessionName,
    durationSeconds: duration,
    minimumSessionTokenSize,
    inputs,
    issuedTo: caller.arn,
    mfaPresent,
    ...(mfaPresent && mfaAuthenticatedAtMs !== undefined ? { mfaAuthenticatedAtMs } : {}),
    inheritedTransitiveTags: inherited,
    transitiveTags,
    ...(effectiveSourceIdentity === undefined ? {} : { sourceIdentity: effectiveSourceIdentity }),
  });

  return (
    credentialsXml(session) +
    assumedRoleUserXml +
    el("PackedPolicySize", inputs.packedPolicySize) +
    el("SourceIdentity", effectiveSourceIdentity)
  );
};
