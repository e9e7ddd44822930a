// AssumeRoleWithSAML (fact sheet 1.4), unsigned as in AWS. Order: syntax -> session inputs ->
// SAML provider -> assertion (signature, issuer, audience, times, attributes) -> the requested
// role/provider pair among the assertion's Role values -> role and duration -> trust -> issue.
import { AwsError, type PolicyRequest } from "../types.js";
import type { StsDeps } from "./common.js";
import {
  checkRoleDuration,
  DEFAULT_ROLE_SESSION_SECONDS,
  issueRoleSession,
  MAX_ROLE_SESSION_SECONDS,
  MIN_ROLE_SESSION_SECONDS,
  roleResourceKeys,
} from "./role-session.js";
import { samlSessionKeys } from "./federation-keys.js";
import { verifySamlAssertion } from "./saml-assertion.js";
import { nameQualifier } from "./saml-provider.js";
import { tagContext, transitiveTagsOf, withFederatedTags } from "./federated-tags.js";
import { checkSessionInputs, readSessionInputs, SESSION_INPUTS_FEDERATED_ROLE } from "./session-inputs.js";
import { ARN_PATTERN, validationError, Validator } from "./validation.js";
import { authorizeTrust, notAuthorized, providerCaller, type UnsignedStsOperation } from "./web-identity.js";
import { readMinimumSessionTokenSize } from "./newer-members.js";
import { credentialsXml, el } from "./xml.js";

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const IDENTITY_CENTER_ROLE_PREFIX = "AWSReservedSSO_";

export const assumeRoleWithSaml: UnsignedStsOperation = async (p, deps: StsDeps) => {
  const v = new Validator();
  const roleArn = p.get("RoleArn");
  const principalArn = p.get("PrincipalArn");
  const assertionText = p.get("SAMLAssertion");
  if (v.required("roleArn", roleArn)) v.text("roleArn", roleArn, 20, 2048, ARN_PATTERN);
  if (v.required("principalArn", principalArn)) v.text("principalArn", principalArn, 20, 2048, ARN_PATTERN);
  if (v.required("sAMLAssertion", assertionText)) v.text("sAMLAssertion", assertionText, 4, 100000);
  const requested = v.integer("durationSeconds", p.get("DurationSeconds"), MIN_ROLE_SESSION_SECONDS, MAX_ROLE_SESSION_SECONDS);
  const raw = readSessionInputs(p, v, SESSION_INPUTS_FEDERATED_ROLE);
  const minimumSessionTokenSize = readMinimumSessionTokenSize(p, v);
  v.done();
  // Session policy problems are reported before the token or assertion is looked at.
  checkSessionInputs(raw);
  if (roleArn === undefined || principalArn === undefined || assertionText === undefined) {
    throw validationError("RoleArn, PrincipalArn and SAMLAssertion are required.");
  }

  const provider = deps.world.samlProviderByArn(principalArn);
  if (provider === undefined) throw new AwsError("InvalidIdentityToken", "Specified provider doesn't exist.", 400);
  const nowMs = deps.clock.now();
  const assertion = verifySamlAssertion(assertionText, provider, nowMs);
  const action = "sts:AssumeRoleWithSAML";
  // The caller may only choose among the role/provider pairs its IdP put in the signed assertion.
  if (!assertion.roles.some((r) => r.roleArn === roleArn && r.providerArn === principalArn)) throw notAuthorized(action);
  const role = deps.world.roleByArn(roleArn);
  if (role === undefined || role.accountId !== provider.accountId) throw notAuthorized(action);
  // STS API Reference, AssumeRoleWithSAML: it "will not work on IAM Identity Center managed roles. These
  // roles' names start with AWSReservedSSO_", whatever their trust policy says.
  if (role.name.startsWith(IDENTITY_CENTER_ROLE_PREFIX)) {
    throw new AwsError("AccessDenied", `Not authorized to perform ${action}: ${IDENTITY_CENTER_ROLE_PREFIX}* roles are managed by IAM Identity Center; sign in through Identity Center instead.`, 403);
  }
  const sessionName = assertion.roleSessionName;
  if (sessionName === undefined || !SESSION_NAME.test(sessionName)) {
    throw new AwsError("InvalidIdentityToken", "The assertion's RoleSessionName attribute must be 2 to 64 characters of [\\w+=,.@-].", 400);
  }
  const sourceIdentity = assertion.sourceIdentity;
  if (sourceIdentity !== undefined && (!SESSION_NAME.test(sourceIdentity) || /^aws:/i.test(sourceIdentity))) {
    throw new AwsError("InvalidIdentityToken", "The assertion's SourceIdentity attribute must be 2 to 64 characters of [\\w+=,.@-], not starting with aws:.", 400);
  }
  const wanted = requested ?? DEFAULT_ROLE_SESSION_SECONDS;
  checkRoleDuration(role, wanted, false);
  // The session ends at the earliest of DurationSeconds, the SessionDuration attribute and the
  // assertion's own NotOnOrAfter times (AWS: "whichever is shorter").
  const untilAssertionEnds = Math.floor(((assertion.sessionNotOnOrAfterMs ?? Number.POSITIVE_INFINITY) - nowMs) / 1000);
  const duration = Math.min(wanted, assertion.sessionDurationSeconds ?? Number.POSITIVE_INFINITY, untilAssertionEnds);

  const inputs = withFederatedTags(raw, assertion.tags, "SAML assertion");
  const qualifier = nameQualifier(provider);
  const context: PolicyRequest["context"] = {
    ...roleResourceKeys(role),
    "aws:FederatedProvider": provider.arn,
    "SAML:aud": assertion.recipient,
    "SAML:sub": assertion.subject,
    "SAML:sub_type": assertion.subjectType,
    "SAML:iss": assertion.issuer,
    "SAML:namequalifier": qualifier,
    "SAML:doc": `${provider.accountId}/${provider.name}`,
    "sts:RoleSessionName": sessionName,
    "sts:SourceIdentity": sourceIdentity,
    ...tagContext(inputs),
  };
  const caller = providerCaller("saml", role.accountId, provider.arn, assertion.subject);
  authorizeTrust(deps, role, { action, caller, context, tags: inputs.tags.length > 0, sourceIdentity: sourceIdentity !== undefined });

  const { session, assumedRoleUserXml } = issueRoleSession(deps, {
    role,
    sessionName,
    durationSeconds: duration,
    minimumSessionTokenSize,
    inputs,
    issuedTo: provider.arn,
    mfaPresent: false,
    federatedProvider: provider.arn,
    federationKeys: samlSessionKeys(qualifier, assertion.subject, assertion.subjectType),
    transitiveTags: transitiveTagsOf(inputs),
    ...(sourceIdentity === undefined ? {} : { sourceIdentity }),
  });
  return (
    credentialsXml(session) +
    assumedRoleUserXml +
    el("PackedPolicySize", inputs.packedPolicySize) +
    el("Subject", assertion.subject) +
    el("SubjectType", assertion.subjectType) +
    el("Issuer", assertion.issuer) +
    el("Audience", assertion.recipient) +
    el("NameQualifier", qualifier) +
    el("SourceIdentity", sourceIdentity)
  );
};
