// natsAuthorization: the nats-server `authorization { users = [...] }` block that makes the
// subject carry the requester's identity. Each requester may publish only on its own request
// subject and subscribe only to its own replies; the vendor user gets what the worker needs.
import { AUDIT_INBOX_PREFIX, isValidName, PEER_WILDCARD, REPLY_PREFIX, REQUEST_PREFIX, REQUEST_WILDCARD, REVOCATION_SUBJECT, VENDOR_QUEUE_GROUP } from "@credvend/protocol";
import bcrypt from "bcryptjs";
import type { CredvendConfig } from "./schema.js";

export interface NatsUser {
  user: string;
  /** A literal password (the dev stack's generated ones), or a `$ENV_VAR` reference that nats-server resolves. */
  password?: string;
  /** An nkey user public key instead of user/password. */
  nkey?: string;
}

export interface NatsIdentity extends Partial<NatsUser> {
  tenant: string;
  principal: string;
}

export interface NatsAuthorizationOptions {
  /** The worker's NATS user. Default: user "credvend-vendor", password $CREDVEND_VENDOR_NATS_PASSWORD. */
  vendor?: NatsUser;
  /**
   * An operator's NATS user for `credvend status` and `credvend revoke`: service discovery
   * ($SRV.>), revocation notices to the workers, and its replies (_INBOX.>), nothing else (no
   * request subjects, no JetStream). Default: none.
   */
  operator?: NatsUser;
  /**
   * An auditor's NATS user for `credvend audit tail`: reads the audit stream through ephemeral
   * consumers of its own, nothing else (AUDITOR_PERMISSIONS). Default: none.
   */
  auditor?: NatsUser;
  /** Added to the config's `identities`; a user listed in both is an error. */
  identities?: readonly NatsIdentity[];
  /**
   * Write every password as a bcrypt hash, resolving `$VAR` references from `env` now. A `$VAR`
   * left for nats-server to resolve is empty when the variable is unset at its start-up, and
   * nats-server then lets anyone in with an empty password; a hash can not be empty. Unset,
   * empty and short secrets (under MIN_NATS_PASSWORD_LENGTH) are refused. A password that is
   * already a bcrypt hash is kept as it is.
   */
  hashSecrets?: { readonly env: Readonly<Record<string, string | undefined>>; readonly cost?: number };
}

/** Shortest password `hashSecrets` accepts (a generated one: 16+ random characters). */
export const MIN_NATS_PASSWORD_LENGTH = 16;
/** bcrypt work factor; nats-server verifies one hash per connection attempt. */
export const DEFAULT_BCRYPT_COST = 10;

const BCRYPT_HASH = /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/;

export const DEFAULT_VENDOR_USER: NatsUser = { user: "credvend-vendor", password: "$CREDVEND_VENDOR_NATS_PASSWORD" };

const ENV_REF = /^\$[A-Za-z_][A-Za-z0-9_]*$/;
const NKEY_USER = /^U[A-Z2-7]{55}$/;

/** The stream behind the config KV bucket that workers read (and only `credvend config push` writes). */
const CONFIG_STREAM = "KV_credvend-config";
/** The audit stream: workers publish to it and may create it once; nothing here may update, purge or delete it. */
export const AUDIT_STREAM = "CREDVEND_AUDIT";

/**
 * The vendor's permissions: serve requests (queue group only), answer, audit, discovery, hear
 * revocation notices, ask other workers for a reusable session or data key they own (peer subjects), and READ
 * the config KV bucket. The JetStream API grants are exactly what reading and watching one bucket
 * takes (account info, stream info, direct and message get, an ordered consumer and its flow
 * control), so a worker can neither write the config nor touch any other stream.
 */
export const VENDOR_PERMISSIONS = {
  publish: [
    `${REPLY_PREFIX}.>`,
    "$JS.API.INFO",
    `$JS.API.STREAM.INFO.${CONFIG_STREAM}`,
    `$JS.API.STREAM.MSG.GET.${CONFIG_STREAM}`,
    `$JS.API.DIRECT.GET.${CONFIG_STREAM}.>`,
    `$JS.API.CONSUMER.CREATE.${CONFIG_STREAM}`,
    `$JS.API.CONSUMER.CREATE.${CONFIG_STREAM}.>`,
    `$JS.API.CONSUMER.INFO.${CONFIG_STREAM}.>`,
    `$JS.API.CONSUMER.DELETE.${CONFIG_STREAM}.>`,
    "$JS.FC.>",
    "$SRV.>",
    "_INBOX.>",
    "credvend.v1.audit.>",
    `$JS.API.STREAM.INFO.${AUDIT_STREAM}`,
    `$JS.API.STREAM.CREATE.${AUDIT_STREAM}`,
    PEER_WILDCARD,
  ],
  subscribe: [`${REQUEST_WILDCARD} ${VENDOR_QUEUE_GROUP}`, "$SRV.>", "_INBOX.>", REVOCATION_SUBJECT, PEER_WILDCARD],
} as const;

/** What `credvend status` and `revoke` need: ask the workers' service endpoints, tell them of revocations, read the answers. */
export const OPERATOR_PERMISSIONS = { publish: ["$SRV.>", REVOCATION_SUBJECT], subscribe: ["_INBOX.>"] } as const;

/**
 * What `credvend audit tail` needs, and only that (nats.js 2.29's ordered push consumer, bound to
 * the stream by name): look up the audit stream, create ephemeral consumers on it (the plain
 * CREATE subject refuses a durable name), read and delete them, answer their flow control, and
 * receive replies and deliveries on its own inbox prefix. No STREAM.NAMES/LIST (other streams'
 * names), no publish on audit or request subjects, no purge/delete/update, no KV.
 */
export const AUDITOR_PERMISSIONS = {
  publish: [
    `$JS.API.STREAM.INFO.${AUDIT_STREAM}`,
    `$JS.API.CONSUMER.CREATE.${AUDIT_STREAM}`,
    `$JS.API.CONSUMER.INFO.${AUDIT_STREAM}.*`,
    `$JS.API.CONSUMER.DELETE.${AUDIT_STREAM}.*`,
    `$JS.FC.${AUDIT_STREAM}.>`,
  ],
  subscribe: [`${AUDIT_INBOX_PREFIX}.>`],
} as const;

/** The NATS user name nats-config gives an identity that names none: `<tenant>.<principal>`. */
export function natsUserName(tenant: string, principal: string): string {
  return `${tenant}.${principal}`;
}

/**
 * A double-quoted nats.conf string. Refuses what could end the string or the line instead of
 * trying to escape it, so a value can never add a key or a permission.
 */
function quote(value: string, what: string): string {
  if (!/^[\x20-\x7e]*$/.test(value) || /["\\]/.test(value)) {
    throw new RangeError(`${what} must be printable ASCII without '"' or '\\'`);
  }
  return `"${value}"`;
}

/** `$VAR` references stay unquoted (nats-server only resolves them unquoted). */
function secret(value: string, what: string): string {
  return ENV_REF.test(value) ? value : quote(value, what);
}

type HashSecrets = NonNullable<NatsAuthorizationOptions["hashSecrets"]>;

/** The password as a bcrypt hash, or a RangeError that names the variable (never the value). */
function hashed(password: string, what: string, hash: HashSecrets): string {
  if (BCRYPT_HASH.test(password)) return password;
  const ref = ENV_REF.test(password) ? password.slice(1) : undefined;
  const value = ref === undefined ? password : hash.env[ref];
  const source = ref === undefined ? "the password" : `$${ref}`;
  // A variable may hold a hash made beforehand (deploy files that must not change on every run).
  if (value !== undefined && BCRYPT_HASH.test(value)) return value;
  if (value === undefined || value === "") throw new RangeError(`${what}: ${source} is ${value === undefined ? "unset" : "empty"}; set it to a random secret of at least ${MIN_NATS_PASSWORD_LENGTH} characters`);
  if (value.length < MIN_NATS_PASSWORD_LENGTH) throw new RangeError(`${what}: ${source} has ${value.length} characters; use a random secret of at least ${MIN_NATS_PASSWORD_LENGTH}`);
  // bcrypt reads at most 72 bytes: a longer secret would be silently cut.
  if (Buffer.byteLength(value) > 72) throw new RangeError(`${what}: ${source} is longer than 72 bytes, which bcrypt would truncate; use a shorter random secret`);
  return bcrypt.hashSync(value, hash.cost ?? DEFAULT_BCRYPT_COST);
}

function credentials(u: Partial<NatsUser>, fallbackUser: string, what: string, hash: HashSecrets | undefined): string {
  if (u.nkey !== undefined) {
    if (u.password !== undefined) throw new RangeError(`${what}: give either password or nkey, not both`);
    if (!NKEY_USER.test(u.nkey)) throw new RangeError(`${what}: nkey must be an nkey user public key (U + 55 base32 characters)`);
    return `nkey: ${quote(u.nkey, `${what} nkey`)}`;
  }
  // nats-server accepts any client for a user with no password (empty matches empty), which would
  // let anyone publish as this identity.
  if (u.password === undefined || u.password === "") throw new RangeError(`${what}: give a password or an nkey; a user without either accepts anyone`);
  const user = `user: ${quote(u.user ?? fallbackUser, `${what} user`)}`;
  // Quoted, a hash is a literal: nats-server resolves only unquoted `$NAME` references.
  if (hash) return `${user}, password: ${quote(hashed(u.password, what, hash), `${what} password`)}`;
  return `${user}, password: ${secret(u.password, `${what} password`)}`;
}

function permissions(publish: readonly string[], subscribe: readonly string[]): string {
  const list = (xs: readonly string[]) => `[${xs.map((s) => quote(s, "subject")).join(", ")}]`;
  return `permissions: { publish: { allow: ${list(publish)} }, subscribe: { allow: ${list(subscribe)} } }`;
}

export function natsAuthorization(config: CredvendConfig, options: NatsAuthorizationOptions = {}): string {
  const vendor = options.vendor ?? DEFAULT_VENDOR_USER;
  const identities: NatsIdentity[] = [...(config.identities ?? []), ...(options.identities ?? [])];
  const users = new Set<string>([vendor.nkey ?? vendor.user]);
  const lines: string[] = [];
  identities.forEach((id, i) => {
    const what = `identity ${i} (${id.tenant}/${id.principal})`;
    if (!isValidName(id.tenant) || !isValidName(id.principal)) throw new RangeError(`${what}: tenant and principal must be 1-64 of a-z, 0-9, '-' and '_'`);
    const userKey = id.nkey ?? id.user ?? natsUserName(id.tenant, id.principal);
    if (users.has(userKey)) throw new RangeError(`${what}: user ${JSON.stringify(userKey)} is listed twice`);
    users.add(userKey);
    const pub = [`${REQUEST_PREFIX}.${id.tenant}.${id.principal}`];
    const sub = [`${REPLY_PREFIX}.${id.tenant}.${id.principal}.>`];
    lines.push(`    # ${id.tenant}/${id.principal}: its own request subject, its own replies, nothing else`);
    lines.push(`    { ${credentials(id, natsUserName(id.tenant, id.principal), what, options.hashSecrets)}, ${permissions(pub, sub)} }`);
  });
  // Operator and auditor are separate users: one person's status/revoke rights are not another's audit reading.
  const roles = [
    { u: options.operator, what: "operator", note: "credvend status (service discovery) and revoke's notices to the workers only", grant: OPERATOR_PERMISSIONS },
    { u: options.auditor, what: "auditor", note: "credvend audit tail: reads the audit stream only", grant: AUDITOR_PERMISSIONS },
  ];
  for (const { u, what, note, grant } of roles) {
    if (u === undefined) continue;
    const key = u.nkey ?? u.user;
    if (users.has(key)) throw new RangeError(`${what}: user ${JSON.stringify(key)} is listed twice`);
    users.add(key);
    lines.push(`    # ${what}: ${note}`);
    lines.push(`    { ${credentials(u, u.user, what, options.hashSecrets)}, ${permissions(grant.publish, grant.subscribe)} }`);
  }
  lines.push("    # credvend worker: queue-group requests, replies, audit, config KV, service discovery");
  lines.push(`    { ${credentials(vendor, "credvend-vendor", "vendor", options.hashSecrets)}, ${permissions(VENDOR_PERMISSIONS.publish, VENDOR_PERMISSIONS.subscribe)} }`);
  return ["# Generated by credvend (natsAuthorization). Do not edit; regenerate from the config.", "authorization {", "  users = [", ...lines, "  ]", "}", ""].join("\n");
}
