// The peer messages of peer-link.ts: JSON like the other worker-to-worker and admin messages
// (revocation notices), bytes as base64url. An ask names its kind: a reusable session
// (fleet-reuse.ts) or a data key lease (fleet-data-keys.ts); what is asked for travels only
// inside the answer's `ciphertext`.
import type { PeerSealed } from "@credvend/envelope";
import type { ReusableSession } from "./credential-reuse.js";

const VERSION = 1;

export interface SessionAsk {
  readonly kind: "session";
  /** The plan's reuse key (a tenant name and a digest of the STS call). */
  readonly key: string;
  readonly minRemainingMs: number;
  /** The asker's X25519 public key for this ask. */
  readonly publicKey: Uint8Array;
}

export interface DataKeyAsk {
  readonly kind: "data-key";
  /** The sealer's cache key of the recipient's data key (reply key id, tenant, principal). */
  readonly key: string;
  readonly publicKey: Uint8Array;
}

export type PeerAsk = SessionAsk | DataKeyAsk;
export type PeerAskKind = PeerAsk["kind"];

const encoder = new TextEncoder();
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");

function parseObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  const value: unknown = JSON.parse(Buffer.from(bytes).toString("utf8"));
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TypeError(`${what} is not a JSON object`);
  const object = value as Record<string, unknown>;
  if (object.v !== VERSION) throw new TypeError(`${what} has version ${JSON.stringify(object.v)}, this worker speaks ${VERSION}`);
  return object;
}

function text(object: Record<string, unknown>, field: string, what: string): string {
  const value = object[field];
  if (typeof value !== "string" || value === "") throw new TypeError(`${what}: ${field} must be a non-empty string`);
  return value;
}

function count(object: Record<string, unknown>, field: string, what: string): number {
  const value = object[field];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw new TypeError(`${what}: ${field} must be a whole number >= 0`);
  return value;
}

function bytes(object: Record<string, unknown>, field: string, what: string): Uint8Array {
  return new Uint8Array(Buffer.from(text(object, field, what), "base64url"));
}

export function encodePeerAsk(ask: PeerAsk): Uint8Array {
  const extra = ask.kind === "session" ? { minRemainingMs: ask.minRemainingMs } : {};
  return encoder.encode(JSON.stringify({ v: VERSION, kind: ask.kind, key: ask.key, ...extra, publicKey: b64(ask.publicKey) }));
}

export function decodePeerAsk(data: Uint8Array): PeerAsk {
  const what = "peer ask";
  const o = parseObject(data, what);
  // Workers from before data keys were lent name no kind: theirs are session asks.
  const kind = o.kind ?? "session";
  const key = text(o, "key", what);
  const publicKey = bytes(o, "publicKey", what);
  if (kind === "session") return { kind, key, minRemainingMs: count(o, "minRemainingMs", what), publicKey };
  if (kind === "data-key") return { kind, key, publicKey };
  throw new TypeError(`${what}: kind is not one this worker answers (session, data-key)`);
}

/** The owner's answer: the sealed session, or none ("found": false). */
export function encodePeerAnswer(sealed: PeerSealed | undefined): Uint8Array {
  if (sealed === undefined) return encoder.encode(JSON.stringify({ v: VERSION, found: false }));
  return encoder.encode(JSON.stringify({ v: VERSION, found: true, senderPublicKey: b64(sealed.senderPublicKey), nonce: b64(sealed.nonce), ciphertext: b64(sealed.ciphertext) }));
}

export function decodePeerAnswer(data: Uint8Array): PeerSealed | undefined {
  const o = parseObject(data, "peer answer");
  if (o.found !== true) return undefined;
  return { senderPublicKey: bytes(o, "senderPublicKey", "peer answer"), nonce: bytes(o, "nonce", "peer answer"), ciphertext: bytes(o, "ciphertext", "peer answer") };
}

export function encodeSession(session: ReusableSession): Uint8Array {
  const { issued } = session;
  return encoder.encode(JSON.stringify({
    v: VERSION, template: session.template, tenant: session.tenant, principal: session.principal, issuedAtMs: session.issuedAtMs,
    accessKeyId: issued.accessKeyId, secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken, expirationMs: issued.expirationMs,
    assumedRoleArn: issued.assumedRoleArn, sourceIdentity: issued.sourceIdentity, packedPolicySize: issued.packedPolicySize,
  }));
}

export function decodeSession(data: Uint8Array): ReusableSession {
  const what = "peer session";
  const o = parseObject(data, what);
  const sourceIdentity = o.sourceIdentity;
  if (typeof sourceIdentity !== "string") throw new TypeError(`${what}: sourceIdentity must be a string`);
  return {
    template: text(o, "template", what), tenant: text(o, "tenant", what), principal: text(o, "principal", what), issuedAtMs: count(o, "issuedAtMs", what),
    issued: {
      accessKeyId: text(o, "accessKeyId", what), secretAccessKey: text(o, "secretAccessKey", what), sessionToken: text(o, "sessionToken", what),
      expirationMs: count(o, "expirationMs", what), assumedRoleArn: text(o, "assumedRoleArn", what), sourceIdentity, packedPolicySize: count(o, "packedPolicySize", what),
    },
  };
}
