// Names and tags that make every STS session traceable to the request that caused it.
import { createHash } from "node:crypto";
import { FEDERATION_NAME_MAX, ROLE_SESSION_NAME_MAX, SOURCE_IDENTITY_MAX } from "./limits.js";

/** Session tags credvend always adds (the template may not set them). */
export const AUTO_TAG_PREFIX = "credvend-";
export const TAG_TENANT = "credvend-tenant";
export const TAG_PRINCIPAL = "credvend-principal";
export const TAG_REQUEST_ID = "credvend-request-id";
/** Added only when a principal acts on behalf of another tenant: the tenant it really belongs to. */
export const TAG_CALLER_TENANT = "credvend-caller-tenant";

export interface SessionTag {
  key: string;
  value: string;
}

export function autoTags(effectiveTenant: string, callerTenant: string, principal: string, requestId: string): SessionTag[] {
  const tags = [
    { key: TAG_TENANT, value: effectiveTenant },
    { key: TAG_PRINCIPAL, value: principal },
    { key: TAG_REQUEST_ID, value: requestId },
  ];
  if (callerTenant !== effectiveTenant) tags.push({ key: TAG_CALLER_TENANT, value: callerTenant });
  return tags;
}

/**
 * Principal names are unique only within a tenant, so every STS identity credvend derives names the
 * principal's own (caller) tenant as well: with the principal alone, tenant A's "app" and tenant
 * B's "app" (or a platform's "app" acting for a customer, and that customer's own "app") got one
 * SourceIdentity and one federated user, and, by sending the same request id, one session name.
 * Names and request ids never contain '.', so "<tenant>.<principal>" is unambiguous.
 */
export function qualifiedPrincipal(callerTenant: string, principal: string): string {
  return `${callerTenant}.${principal}`;
}

/**
 * `value` if it has at most `max` characters, else its first characters, '-' and 12 hex of the
 * SHA-256 of the whole: two values that share a long prefix stay distinct. The characters added
 * are in every STS name alphabet ([\w+=,.@-]).
 */
export function fitName(value: string, max: number): string {
  if (value.length <= max) return value;
  return `${value.slice(0, max - 13)}-${createHash("sha256").update(value).digest("hex").slice(0, 12)}`;
}

/** `<caller tenant>.<principal>.<request id>`, shortened by fitName to STS's 64 characters. */
export function roleSessionName(callerTenant: string, principal: string, requestId: string): string {
  return fitName(`${qualifiedPrincipal(callerTenant, principal)}.${requestId}`, ROLE_SESSION_NAME_MAX);
}

/** SourceIdentity: `<caller tenant>.<principal>` (at least 3 characters; STS needs 2-64). */
export function sourceIdentityFor(principal: string, callerTenant: string): string {
  return fitName(qualifiedPrincipal(callerTenant, principal), SOURCE_IDENTITY_MAX);
}

/**
 * GetFederationToken Name: 2-32 characters; credvend shortens rather than fail a request. The name
 * is the federated user's identity (its ARN and aws:userid), so a shortened name keeps a hash of
 * the whole: two principals sharing their first 32 characters must not become the same user.
 */
export function federationName(rendered: string): string {
  if (rendered.length > FEDERATION_NAME_MAX) return fitName(rendered, FEDERATION_NAME_MAX);
  return rendered.length >= 2 ? rendered : `${rendered}-cv`;
}

/** The federated user a template without federation_name vends for: the qualified principal. */
export function defaultFederationName(callerTenant: string, principal: string): string {
  return federationName(qualifiedPrincipal(callerTenant, principal));
}
