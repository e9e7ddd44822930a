// Subject names of the v1 protocol. The requester's identity is the (tenant, principal) pair in
// the subject it published on; NATS permissions make sure a user can only publish on its own.

export const SUBJECT_PREFIX = "credvend.v1";
export const REQUEST_PREFIX = `${SUBJECT_PREFIX}.req`;
export const REPLY_PREFIX = `${SUBJECT_PREFIX}.reply`;
/** Every request subject: credvend.v1.req.<tenant>.<principal> */
export const REQUEST_WILDCARD = `${REQUEST_PREFIX}.*.*`;
/** Queue group that every vendor worker joins. */
export const VENDOR_QUEUE_GROUP = "credvend-vendor";

/**
 * Tenant and principal names: lower-case letters, digits, '-' and '_', starting with a letter or
 * digit, at most 64 characters. They become NATS subject tokens, KMS encryption-context values and
 * STS tag values, so they exclude '.', '*', '>', whitespace and anything STS tags refuse.
 */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Request ids: 8-128 of [A-Za-z0-9_-] (a UUID, a ULID or base64url all fit). */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;

export function isValidName(value: string): boolean {
  return NAME_PATTERN.test(value);
}

export function isValidRequestId(value: string): boolean {
  return REQUEST_ID_PATTERN.test(value);
}

export function requestSubject(tenant: string, principal: string): string {
  assertName("tenant", tenant);
  assertName("principal", principal);
  return `${REQUEST_PREFIX}.${tenant}.${principal}`;
}

/** Subject a requester subscribes to for all of its replies. */
export function replyWildcard(tenant: string, principal: string): string {
  assertName("tenant", tenant);
  assertName("principal", principal);
  return `${REPLY_PREFIX}.${tenant}.${principal}.>`;
}

export function replySubject(tenant: string, principal: string, requestId: string): string {
  assertName("tenant", tenant);
  assertName("principal", principal);
  if (!isValidRequestId(requestId)) throw new RangeError(`request id ${JSON.stringify(requestId)} does not match ${REQUEST_ID_PATTERN}`);
  return `${REPLY_PREFIX}.${tenant}.${principal}.${requestId}`;
}

export interface SubjectIdentity {
  readonly tenant: string;
  readonly principal: string;
}

/** Parses credvend.v1.req.<tenant>.<principal>; null when the subject is not a valid request subject. */
export function parseRequestSubject(subject: string): SubjectIdentity | null {
  if (!subject.startsWith(`${REQUEST_PREFIX}.`)) return null;
  const rest = subject.slice(REQUEST_PREFIX.length + 1).split(".");
  if (rest.length !== 2) return null;
  const [tenant, principal] = rest as [string, string];
  if (!isValidName(tenant) || !isValidName(principal)) return null;
  return { tenant, principal };
}

/**
 * The request id a reply subject names, when the subject is credvend.v1.reply.<tenant>.<principal>.<id>
 * for exactly this identity; undefined otherwise. Lets a refusal made before the payload is read
 * still name the request it answers (clients ignore error replies that name no request).
 */
export function requestIdOfReplySubject(subject: string | undefined, identity: SubjectIdentity): string | undefined {
  const prefix = `${REPLY_PREFIX}.${identity.tenant}.${identity.principal}.`;
  if (!subject?.startsWith(prefix)) return undefined;
  const id = subject.slice(prefix.length);
  return isValidRequestId(id) ? id : undefined;
}

function assertName(what: string, value: string): void {
  if (!isValidName(value)) {
    throw new RangeError(`${what} ${JSON.stringify(value)} is not a valid name: use 1-64 of a-z, 0-9, '-' and '_', starting with a letter or digit`);
  }
}

/**
 * Revocation notices (`credvend revoke`): every worker subscribes (no queue group) and stops
 * reusing credentials issued before the revocation time. Only operator identities may publish.
 */
export const REVOCATION_SUBJECT = `${SUBJECT_PREFIX}.admin.revoked`;

/**
 * The inbox prefix of `credvend audit tail` (its JetStream API replies and the audit consumer's
 * deliveries). An auditor's NATS user may subscribe only under it: all of `_INBOX.>` would also
 * carry other users' replies, such as the config KV entries a worker's watch receives.
 */
export const AUDIT_INBOX_PREFIX = "_INBOX.credvend-audit";

/**
 * Workers' peer subjects: `credvend.v1.peer.<worker id>`, where one worker asks the worker that
 * owns a reusable session (see the worker's fleet-reuse) for a copy sealed to a key of its own.
 * Only vendor identities may publish or subscribe here.
 */
export const PEER_PREFIX = `${SUBJECT_PREFIX}.peer`;
export const PEER_WILDCARD = `${PEER_PREFIX}.*`;

export function peerSubject(workerId: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(workerId)) throw new RangeError(`worker id ${JSON.stringify(workerId)} is not a valid subject token`);
  return `${PEER_PREFIX}.${workerId}`;
}
