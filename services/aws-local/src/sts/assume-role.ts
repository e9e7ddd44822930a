// AssumeRole (fact sheet 1.2). Order: syntax -> session-input rules -> caller kind -> role lookup
// -> duration limits -> MFA -> identity policy -> trust policy -> tag/source-identity inheritance
// -> issue.
import type { PolicyRequest } from "../types.js";
import { accessDenied, checkMfa, identityAllows, issueSession, mergeTags, type StsOperation } from "./common.js";
import { checkSessionInputs, effectiveSessionPolicy, readSessionInputs } from "./session-inputs.js";
import { EXTERNAL_ID_PATTERN, NAME_PATTERN, SERIAL_PATTERN, validationError, Validator } from "./validation.js";
import { credentialsXml, el, group } from "./xml.js";

export const DEFAULT_ROLE_SESSION_SECONDS = 3600;
export const ROLE_CHAINING_MAX_SECONDS = 3600;

export const assumeRole: StsOperation = ({ params: p, principal }, deps) => {
  const v = new Validator();
  const roleArn = p.get("RoleArn");
  const sessionName = p.get("RoleSessionName");
  if (v.required("roleArn", roleArn)) v.text("roleArn", roleArn, 20, 2048);
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
  const raw = readSessionInputs(p, v, true);
  v.done();
  // SourceIdentity may not start with "aws:"; the pattern above already rejects every ':'.
  const inputs = checkSessionInputs(raw);
  if (roleArn === undefined || sessionName === undefined) throw validationError("RoleArn and RoleSessionName are required.");

  const caller = principal.identity;
  const from = principal.session;
  if (from?.kind === "federation") throw accessDenied(caller.arn, "sts:AssumeRole", roleArn);
  const role = deps.world.roleByArn(roleArn);
  if (role === undefined) throw accessDenied(caller.arn, "sts:AssumeRole", roleArn);

  const chained = from?.kind === "assumed-role";
  if (chained && duration > ROLE_CHAINING_MAX_SECONDS) {
    throw validationError(
      `The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining. Pass DurationSeconds of at most ${ROLE_CHAINING_MAX_SECONDS}.`,
    );
  }
  if (duration > role.maxSessionDurationSeconds) {
    throw validationError(
      `The requested DurationSeconds exceeds the MaxSessionDuration set for this role (${role.maxSessionDurationSeconds} seconds).`,
    );
  }

  const mfaNow = checkMfa(deps, principal, serial, tokenCode);
  const mfaPresent = mfaNow || caller.mfaPresent;
  const actingCaller = mfaPresent === caller.mfaPresent ? caller : { ...caller, mfaPresent };

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

  const requestTags = Object.fromEntries(inputs.tags);
  const context: PolicyRequest["context"] = {
    "sts:ExternalId": externalId,
    "sts:RoleSessionName": sessionName,
    "sts:SourceIdentity": sourceIdentity,
    "sts:TransitiveTagKeys": inputs.transitiveTagKeys.length > 0 ? inputs.transitiveTagKeys : undefined,
    "aws:MultiFactorAuthPresent": mfaPresent ? true : undefined,
    "aws:TagKeys": inputs.tags.length > 0 ? inputs.tags.map(([k]) => k) : undefined,
    ...Object.fromEntries(Object.entries(requestTags).map(([k, val]) => [`aws:RequestTag/${k}`, val])),
  };
  const actions = ["sts:AssumeRole"];
  if (inputs.tags.length > 0) actions.push("sts:TagSession");
  if (sourceIdentity !== undefined) actions.push("sts:SetSourceIdentity");
  for (const action of actions) {
    const trusted =
      identityAllows(deps, actingCaller, action, role.arn, context) &&
      deps.evaluate([role.trustPolicy], { action, resource: role.arn, caller: actingCaller, context }, { principalCheck: true }) ===
        "Allow";
    if (!trusted) throw accessDenied(caller.arn, action, role.arn);
  }

  const transitiveTags = mergeTags(
    inherited,
    Object.fromEntries(inputs.tags.filter(([k]) => inputs.transitiveTagKeys.some((t) => t.toLowerCase() === k.toLowerCase()))),
  );
  const effectiveSourceIdentity = sourceIdentity ?? from?.sourceIdentity;
  const sessionPolicy = effectiveSessionPolicy(inputs, deps.world);
  const arn = `arn:aws:sts::${deps.world.accountId}:assumed-role/${role.name}/${sessionName}`;
  const session = issueSession(deps, {
    kind: "assumed-role",
    durationSeconds: duration,
    identity: {
      accountId: deps.world.accountId,
      kind: "assumed-role",
      arn,
      userId: `${role.roleId}:${sessionName}`,
      roleName: role.name,
      roleArn: role.arn,
      principalTags: mergeTags(role.tags, inherited, inputs.tagRecord),
      mfaPresent,
      identityPolicies: role.policies,
      ...(sessionPolicy === undefined ? {} : { sessionPolicy }),
      ...(effectiveSourceIdentity === undefined ? {} : { sourceIdentity: effectiveSourceIdentity }),
    },
    issuedTo: caller.arn,
    roleArn: role.arn,
    roleSessionName: sessionName,
    ...(sessionPolicy === undefined ? {} : { sessionPolicy }),
    policyArns: inputs.policyArns,
    sessionTags: inputs.tagRecord,
    transitiveTags,
    transitiveTagKeys: inputs.transitiveTagKeys,
    ...(effectiveSourceIdentity === undefined ? {} : { sourceIdentity: effectiveSourceIdentity }),
    mfaPresent,
    ...(inputs.packedPolicySize === undefined ? {} : { packedPolicySize: inputs.packedPolicySize }),
  });

  return (
    credentialsXml(session) +
    group("AssumedRoleUser", el("Arn", arn) + el("AssumedRoleId", session.identity.userId)) +
    el("PackedPolicySize", inputs.packedPolicySize) +
    el("SourceIdentity", effectiveSourceIdentity)
  );
};
