// AssumeRoleWithWebIdentity (fact sheet 1.3), unsigned as in AWS. Order: syntax -> session inputs
// -> token (provider, signature, claims) -> role and duration -> trust policy -> issue.
import type { CallerIdentity, PolicyRequest } from "../types.js";
import { AwsError } from "../types.js";
import type { StsDeps } from "./common.js";
import type { QueryParams } from "./query-params.js";
import {
  checkRoleDuration,
  DEFAULT_ROLE_SESSION_SECONDS,
  issueRoleSession,
  MAX_ROLE_SESSION_SECONDS,
  MIN_ROLE_SESSION_SECONDS,
  roleResourceKeys,
} from "./role-session.js";
import { tagContext, transitiveTagsOf, withFederatedTags } from "./federated-tags.js";
import { webIdentitySessionKeys } from "./federation-keys.js";
import { checkSessionInputs, readSessionInputs, SESSION_INPUTS_FEDERATED_ROLE } from "./session-inputs.js";
import { ARN_PATTERN, NAME_PATTERN, validationError, Validator } from "./validation.js";
import { verifyWebIdentityToken } from "./web-identity-token.js";
import { readMinimumSessionTokenSize } from "./newer-members.js";
import { credentialsXml, el } from "./xml.js";

/** An unsigned STS operation: no principal, and it may wait (a JWKS fetch). */
export type UnsignedStsOperation = (params: QueryParams, deps: StsDeps) => Promise<string>;

const ROLE_ACCOUNT = /^arn:aws:iam::(\d{12}):role\//;

export function notAuthorized(action: string): AwsError {
  return new AwsError("AccessDenied", `Not authorized to perform ${action}`, 403);
}

/** The unsigned caller as the trust policy sees it: the identity provider, nothing else. */
export function providerCaller(kind: "web-identity" | "saml", accountId: string, providerArn: string, subject: string): CallerIdentity {
  return { accountId, kind, arn: providerArn, userId: subject, principalTags: {}, mfaPresent: false, accessKeyId: "", identityPolicies: [] };
}

/**
 * The federated caller may act only where the role's trust policy allows the call itself, and
 * sts:TagSession / sts:SetSourceIdentity where the call sets tags or a source identity (as in AWS).
 */
export function authorizeTrust(
  deps: StsDeps,
  role: { readonly arn: string; readonly trustPolicy: Parameters<StsDeps["evaluate"]>[0][number] },
  request: { readonly action: string; readonly caller: CallerIdentity; readonly context: PolicyRequest["context"]; readonly tags: boolean; readonly sourceIdentity: boolean },
): void {
  const actions = [request.action];
  if (request.tags) actions.push("sts:TagSession");
  if (request.sourceIdentity) actions.push("sts:SetSourceIdentity");
  for (const a of actions) {
    const decision = deps.evaluate([role.trustPolicy], { action: a, resource: role.arn, caller: request.caller, context: request.context }, { principalCheck: true });
    if (decision !== "Allow") throw notAuthorized(a);
  }
}

export const assumeRoleWithWebIdentity: UnsignedStsOperation = async (p, deps) => {
  const v = new Validator();
  const roleArn = p.get("RoleArn");
  const sessionName = p.get("RoleSessionName");
  const token = p.get("WebIdentityToken");
  if (v.required("roleArn", roleArn)) v.text("roleArn", roleArn, 20, 2048, ARN_PATTERN);
  if (v.required("roleSessionName", sessionName)) v.text("roleSessionName", sessionName, 2, 64, NAME_PATTERN);
  if (v.required("webIdentityToken", token)) v.text("webIdentityToken", token, 4, 20000);
  v.text("providerId", p.get("ProviderId"), 4, 2048);
  const duration =
    v.integer("durationSeconds", p.get("DurationSeconds"), MIN_ROLE_SESSION_SECONDS, MAX_ROLE_SESSION_SECONDS) ?? DEFAULT_ROLE_SESSION_SECONDS;
  const raw = readSessionInputs(p, v, SESSION_INPUTS_FEDERATED_ROLE);
  const minimumSessionTokenSize = readMinimumSessionTokenSize(p, v);
  v.done();
  // Session policy problems are reported before the token or assertion is looked at.
  checkSessionInputs(raw);
  if (roleArn === undefined || sessionName === undefined || token === undefined) throw validationError("RoleArn, RoleSessionName and WebIdentityToken are required.");
  if (p.get("ProviderId") !== undefined) {
    // ProviderId is only for OAuth 2.0 access tokens (Login with Amazon, Facebook), which are not OIDC.
    throw new AwsError("InvalidParameterValue", "ProviderId is only for OAuth 2.0 access tokens, which aws-local does not emulate; omit it for OIDC ID tokens.", 400);
  }

  // The provider must be in the role's account, so the token is checked against that account's
  // providers even when the role does not exist (which then ends in AccessDenied, as in AWS).
  const accountId = ROLE_ACCOUNT.exec(roleArn)?.[1] ?? deps.world.accountId;
  const identity = await verifyWebIdentityToken(token, accountId, deps.world, deps.clock.now());
  const action = "sts:AssumeRoleWithWebIdentity";
  const role = deps.world.roleByArn(roleArn);
  if (role === undefined) throw notAuthorized(action);
  checkRoleDuration(role, duration, false);

  const inputs = withFederatedTags(raw, identity.tags, "web identity token");
  const prefix = identity.provider.hostPath;
  const context: PolicyRequest["context"] = {
    ...roleResourceKeys(role),
    "aws:FederatedProvider": identity.provider.arn,
    [`${prefix}:aud`]: identity.audience,
    [`${prefix}:sub`]: identity.subject,
    [`${prefix}:amr`]: identity.amr,
    "sts:RoleSessionName": sessionName,
    "sts:SourceIdentity": identity.sourceIdentity,
    ...tagContext(inputs),
  };
  const caller = providerCaller("web-identity", role.accountId, identity.provider.arn, identity.subject);
  authorizeTrust(deps, role, { action, caller, context, tags: inputs.tags.length > 0, sourceIdentity: identity.sourceIdentity !== undefined });

  const { session, assumedRoleUserXml } = issueRoleSession(deps, {
    role,
    sessionName,
    durationSeconds: duration,
    minimumSessionTokenSize,
    inputs,
    issuedTo: identity.provider.arn,
    mfaPresent: false,
    federatedProvider: identity.provider.arn,
    federationKeys: webIdentitySessionKeys(prefix, identity.subject),
    transitiveTags: transitiveTagsOf(inputs),
    ...(identity.sourceIdentity === undefined ? {} : { sourceIdentity: identity.sourceIdentity }),
  });
  return (
    credentialsXml(session) +
    el("SubjectFromWebIdentityToken", identity.subject) +
    assumedRoleUserXml +
    el("PackedPolicySize", inputs.packedPolicySize) +
    el("Provider", identity.provider.arn) +
    el("Audience", identity.audience) +
    el("SourceIdentity", identity.sourceIdentity)
  );
};
