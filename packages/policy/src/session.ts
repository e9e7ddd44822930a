// Names and tags that make every STS session traceable to the request that caused it.
import { createHash } from "node:crypto";
import { ROLE_SESSION_NAME_MAX } from "./limits.js";

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
 * `<principal>.<request id>`, which fits STS's 64 characters and [\w+=,.@-] because names and
 * request ids use narrower alphabets. When too long, the principal keeps up to 31 characters and
 * the request id keeps its first 19 plus 12 hex of its SHA-256, so names stay unique per request.
 */
export function roleSessionName(principal: string, requestId: string): string {
  const full = `${principal}.${requestId}`;
  if (full.length <= ROLE_SESSION_NAME_MAX) return full;
  const p = principal.slice(0, 31);
  const room = ROLE_SESSION_NAME_MAX - p.length - 1;
  const id = requestId.length <= room ? requestId : `${requestId.slice(0, room - 13)}-${createHash("sha256").update(requestId).digest("hex").slice(0, 12)}`;
  return `${p}.${id}`;
}

/** SourceIdentity is the principal; STS needs at least 2 characters, so a 1-letter principal gets its tenant. */
export function sourceIdentityFor(principal: string, callerTenant: string): string {
  return principal.length >= 2 ? principal : `${principal}@${callerTenant}`.slice(0, 64);
}

/**
 * GetFederationToken Name: 2-32 characters; credvend shortens rather than fail a request. The name
 * is the federated user's identity (its ARN and aws:userid), so a shortened name keeps a hash of
 * the whole: two principals sharing their first 32 characters must not become the same user.
 */
export function federationName(rendered: string): string {
  if (rendered.length > 32) return `${rendered.slice(0, 19)}-${createHash("sha256").update(rendered).digest("hex").slice(0, 12)}`;
  return rendered.length >= 2 ? rendered : `${rendered}-cv`;
}
