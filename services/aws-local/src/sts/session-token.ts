// GetSessionToken (1.5), GetFederationToken (1.6) and GetCallerIdentity (1.7).
import { AwsError, type CallerIdentity } from "../types.js";
import { accessDenied, checkMfa, identityAllows, issueSession, type StsOperation } from "./common.js";
import { checkSessionInputs, effectiveSessionPolicy, readSessionInputs, SESSION_INPUTS_FEDERATION_TOKEN } from "./session-inputs.js";
import { NAME_PATTERN, SERIAL_PATTERN, validationError, Validator } from "./validation.js";
import { readMinimumSessionTokenSize } from "./newer-members.js";
import { credentialsXml, el, group } from "./xml.js";

export const DEFAULT_USER_SESSION_SECONDS = 43200;
export const MAX_USER_SESSION_SECONDS = 129600;
/**
 * Root user sessions last at most an hour: a longer DurationSeconds (or the 12-hour default) becomes
 * one hour (STS API Reference, GetSessionToken and GetFederationToken, DurationSeconds).
 */
export const MAX_ROOT_SESSION_SECONDS = 3600;

function forCaller(kind: CallerIdentity["kind"], durationSeconds: number): number {
  return kind === "root" ? Math.min(durationSeconds, MAX_ROOT_SESSION_SECONDS) : durationSeconds;
}

function onlyLongTermCredentials(operation: string, hasSession: boolean): void {
  if (hasSession) throw new AwsError("AccessDenied", `Cannot call ${operation} with session credentials`, 403);
}

export const getSessionToken: StsOperation = ({ params: p, principal }, deps) => {
  const v = new Validator();
  const duration =
    v.integer("durationSeconds", p.get("DurationSeconds"), 900, MAX_USER_SESSION_SECONDS) ?? DEFAULT_USER_SESSION_SECONDS;
  const serial = p.get("SerialNumber");
  v.text("serialNumber", serial, 9, 256, SERIAL_PATTERN);
  const tokenCode = p.get("TokenCode");
  v.text("tokenCode", tokenCode, 6, 6, /^\d*$/);
  const minimumSessionTokenSize = readMinimumSessionTokenSize(p, v);
  v.done();
  onlyLongTermCredentials("GetSessionToken", principal.session !== undefined);
  // No permission is needed for GetSessionToken; only the MFA code (if any) must be right.
  const mfaPresent = checkMfa(deps, principal, serial, tokenCode);
  const caller = principal.identity;
  const { accessKeyId: _parentKey, ...identity } = caller;
  const session = issueSession(deps, {
    kind: "session-token",
    durationSeconds: forCaller(caller.kind, duration),
    minimumSessionTokenSize,
    identity: { ...identity, mfaPresent, ...(mfaPresent ? { mfaAuthenticatedAtMs: deps.clock.now() } : {}) },
    issuedTo: caller.arn,
    policyArns: [],
    sessionTags: {},
    transitiveTags: {},
    transitiveTagKeys: [],
    mfaPresent,
  });
  return credentialsXml(session);
};

export const getFederationToken: StsOperation = ({ params: p, principal }, deps) => {
  const v = new Validator();
  const name = p.get("Name");
  if (v.required("name", name)) v.text("name", name, 2, 32, NAME_PATTERN);
  const duration =
    v.integer("durationSeconds", p.get("DurationSeconds"), 900, MAX_USER_SESSION_SECONDS) ?? DEFAULT_USER_SESSION_SECONDS;
  const raw = readSessionInputs(p, v, SESSION_INPUTS_FEDERATION_TOKEN);
  const minimumSessionTokenSize = readMinimumSessionTokenSize(p, v);
  v.done();
  const inputs = checkSessionInputs(raw);
  if (name === undefined) throw validationError("Name is required.");
  const caller = principal.identity;
  onlyLongTermCredentials("GetFederationToken", principal.session !== undefined);
  const acct = caller.accountId;
  const arn = `arn:aws:sts::${acct}:federated-user/${name}`;
  const context = {
    "aws:TagKeys": inputs.tags.length > 0 ? inputs.tags.map(([k]) => k) : undefined,
    ...Object.fromEntries(inputs.tags.map(([k, val]) => [`aws:RequestTag/${k}`, val])),
  };
  const actions = inputs.tags.length > 0 ? ["sts:GetFederationToken", "sts:TagSession"] : ["sts:GetFederationToken"];
  for (const action of actions) {
    if (!identityAllows(deps, caller, action, arn, context)) throw accessDenied(caller.arn, action, arn);
  }
  // Without a session policy a federated session has no permissions at all (AWS documents this).
  const sessionPolicy = effectiveSessionPolicy(inputs, deps.world) ?? { Version: "2012-10-17", Statement: [] };
  const session = issueSession(deps, {
    kind: "federation",
    durationSeconds: forCaller(caller.kind, duration),
    minimumSessionTokenSize,
    identity: {
      accountId: acct,
      kind: "federated-user",
      arn,
      userId: `${acct}:${name}`,
      principalTags: inputs.tagRecord,
      mfaPresent: false,
      // The federating user's permissions, limited by the session policy.
      identityPolicies: caller.identityPolicies,
      // …and by the user's permissions boundary ("Session policies": the entity's permissions are
      // limited by the session policy and the permissions boundary).
      ...(caller.permissionsBoundary === undefined ? {} : { permissionsBoundary: caller.permissionsBoundary }),
      sessionPolicy,
    },
    issuedTo: caller.arn,
    federatedUserName: name,
    sessionPolicy,
    policyArns: inputs.policyArns,
    sessionTags: inputs.tagRecord,
    transitiveTags: {},
    transitiveTagKeys: [],
    mfaPresent: false,
    ...(inputs.packedPolicySize === undefined ? {} : { packedPolicySize: inputs.packedPolicySize }),
  });
  return (
    credentialsXml(session) +
    group("FederatedUser", el("FederatedUserId", `${acct}:${name}`) + el("Arn", arn)) +
    el("PackedPolicySize", inputs.packedPolicySize ?? 0)
  );
};

/** Always allowed, even under an explicit Deny (AWS documents this). */
export const getCallerIdentity: StsOperation = ({ principal }) => {
  const id = principal.identity;
  return el("UserId", id.userId) + el("Account", id.accountId) + el("Arn", id.arn);
};
