// What planRequest returns: the exact STS call to make, one shape per call kind.
import type { WebIdentityCheck } from "./schema.js";
import type { SessionTag } from "./session.js";

export interface RateLimitRule {
  /** "principal", "tenant", "template" or "rule:<rule name or #index>". */
  scope: string;
  /**
   * Starts with the effective tenant, e.g. "acme:principal:demo-app"; the vendor wraps it in a Redis
   * hash tag. A rule's key is "<tenant>:rule:<name, or ~hash of an unnamed rule>:<principal>".
   */
  key: string;
  perSecond: number;
  burst: number;
}

/** Present when the template allows reusing still-fresh credentials for an identical request. */
export interface Reuse {
  /** Same key ⇔ same STS call apart from per-request fields (session name, request-id tag). Starts with the effective tenant. */
  key: string;
  /** Reuse only while at least this many seconds remain before expiry. */
  minRemainingSeconds: number;
}

interface PlanBase {
  template: string;
  /** The tenant the credentials are for: the caller's, or the one it acts for (on_behalf_of). */
  effectiveTenant: string;
  callerTenant: string;
  principal: string;
  requestId: string;
  /** The access rule that allowed the request (name or #index). */
  accessRule: string;
  durationSeconds: number;
  rateLimits: RateLimitRule[];
  cacheable?: Reuse;
}

export interface AssumeRolePlan extends PlanBase {
  kind: "assume_role";
  roleArn: string;
  roleSessionName: string;
  /** Minified JSON. */
  policy?: string;
  policyArns: string[];
  tags: SessionTag[];
  transitiveTagKeys: string[];
  sourceIdentity?: string;
  externalId?: string;
  serialNumber?: string;
  /** Secret: never log it (describePlan masks it). */
  tokenCode?: string;
}

export interface WebIdentityPlan extends PlanBase {
  kind: "web_identity";
  roleArn: string;
  roleSessionName: string;
  /** Secret. */
  webIdentityToken: string;
  providerId?: string;
  policy?: string;
  policyArns: string[];
  /** Claims the token must carry with exactly these values (the access rule's `claims`, rendered). */
  expectedClaims: Readonly<Record<string, string>>;
  /**
   * The template's issuers, audiences and keys, from the config this plan was made with (a reload
   * after planning must not change which IdPs this request is checked against); missing only for
   * a config that slipped past lint, which the worker refuses.
   */
  webIdentityCheck?: WebIdentityCheck;
}

export interface SamlPlan extends PlanBase {
  kind: "saml";
  roleArn: string;
  /** The SAML provider ARN (STS PrincipalArn). */
  principalArn: string;
  /** Secret. */
  samlAssertion: string;
  policy?: string;
  policyArns: string[];
  /** The access rule's `claims` rendered: "NameID" is the Subject's NameID, any other name an Attribute's Name. */
  expectedClaims: Readonly<Record<string, string>>;
}

/** The kinds that call STS with a long-term IAM user credential of their own (never the worker's). */
interface OwnCredential {
  /** The AWS shared-config profile the worker signs this call with (template credential_source). */
  credentialProfile: string;
}

export interface SessionTokenPlan extends PlanBase, OwnCredential {
  kind: "session_token";
  serialNumber?: string;
  /** Secret. */
  tokenCode?: string;
}

export interface FederationTokenPlan extends PlanBase, OwnCredential {
  kind: "federation_token";
  /** GetFederationToken Name (2-32 characters). */
  name: string;
  policy?: string;
  policyArns: string[];
  tags: SessionTag[];
}

export type StsPlan = AssumeRolePlan | WebIdentityPlan | SamlPlan | SessionTokenPlan | FederationTokenPlan;

/** The STS operation each plan kind maps to. */
export const STS_OPERATION = {
  assume_role: "AssumeRole",
  web_identity: "AssumeRoleWithWebIdentity",
  saml: "AssumeRoleWithSAML",
  session_token: "GetSessionToken",
  federation_token: "GetFederationToken",
} as const satisfies Record<StsPlan["kind"], string>;
