// Builds the audit event of one decision from what the worker already holds: the request's record,
// its error, the reply it is about to send (whose clear fields name the access key id, role and
// expiry) and the request payload (for the declared parameters). Only named clear fields are
// copied: never the reply's ciphertext or data key, never the request's federation or MFA input.
import { decodeRequest, readReply, type CredentialRequest, type CredvendError, type ErrorCodeName } from "@credvend/protocol";
import type { Template } from "@credvend/policy";
import { randomUUID } from "node:crypto";
import type { RequestRecord } from "../pipeline/record.js";
import type { AuditEvent, AuditOutcome } from "./event.js";

/** A parameter value is kept up to this many characters (a junk request may send anything). */
export const MAX_AUDIT_PARAM_CHARS = 256;

export interface Decision {
  readonly record: RequestRecord;
  readonly error: CredvendError | undefined;
  /** The serve phase's outcome ("issued", "replayed", "refused"), or "refused" for admission. */
  readonly outcome: string;
  readonly reply: Uint8Array;
  /**
   * The success reply held back because Redis has not recorded it (settle.ts, withheld): the
   * credentials exist in AWS, so the event names them although the reply sent is a refusal.
   */
  readonly heldBack?: Uint8Array;
  /** The request's payload when it was read (admission refusals may not have it). */
  readonly payload?: Uint8Array;
  /** That payload already decoded (by admission), so it is not decoded again here. */
  readonly request?: CredentialRequest;
  readonly coalesced?: boolean;
  readonly decidedAt: number;
}

export interface EventContext {
  readonly workerId: string;
  readonly template: (name: string) => Template | undefined;
}

/** Caller-side refusals that only a different request (or rule) can change. */
const DENIED: ReadonlySet<ErrorCodeName> = new Set(["INVALID_ARGUMENT", "UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND", "FAILED_PRECONDITION"]);

export function auditOutcome(d: Pick<Decision, "error" | "outcome">): AuditOutcome {
  if (!d.error) return d.outcome === "replayed" ? "replayed" : "issued";
  if (d.error.code === "RESOURCE_EXHAUSTED") return "refused";
  return DENIED.has(d.error.code) ? "denied" : "failed";
}

export function buildAuditEvent(d: Decision, ctx: EventContext): AuditEvent {
  const { record, error } = d;
  const template = record.template ? ctx.template(record.template) : undefined;
  const request = requestFields(d.request ?? d.payload, template);
  const issued = issuedFields(d.heldBack ?? d.reply);
  return {
    v: 1,
    id: randomUUID(),
    time: new Date(d.decidedAt).toISOString(),
    workerId: ctx.workerId,
    ...defined({
      requestId: record.requestId,
      tenant: record.identity?.tenant,
      principal: record.identity?.principal,
      effectiveTenant: record.effectiveTenant !== record.identity?.tenant ? record.effectiveTenant : undefined,
      template: record.template,
      params: request.params,
      durationSeconds: request.durationSeconds,
      role: issued.role ?? template?.role_arn,
      assumedRoleArn: issued.assumedRoleArn,
      sessionName: issued.sessionName,
      sourceIdentity: issued.sourceIdentity,
      accessKeyId: issued.accessKeyId,
      expiresAt: issued.expiresAt,
      code: error?.code,
      reason: error?.reason,
      retryable: error?.retryable,
      coalesced: d.coalesced || undefined,
      reused: record.reused || undefined,
      sealedReply: record.sealedReply || undefined,
    }),
    outcome: auditOutcome(d),
    latencyMs: Math.max(0, d.decidedAt - record.receivedAt),
  };
}

interface RequestFields {
  readonly params?: Record<string, string>;
  readonly durationSeconds?: number;
}

/** Only parameters the template declares: an undeclared name (refused anyway) could carry anything. */
function requestFields(from: CredentialRequest | Uint8Array | undefined, template: Template | undefined): RequestFields {
  if (!from) return {};
  let request;
  try {
    request = from instanceof Uint8Array ? decodeRequest(from) : from;
  } catch {
    return {};
  }
  const declared = template?.params ?? {};
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.params ?? {})) {
    if (Object.hasOwn(declared, name)) params[name] = value.slice(0, MAX_AUDIT_PARAM_CHARS);
  }
  return {
    ...(Object.keys(params).length > 0 ? { params } : {}),
    ...(request.durationSeconds ? { durationSeconds: request.durationSeconds } : {}),
  };
}

interface IssuedFields {
  readonly accessKeyId?: string;
  readonly expiresAt?: string;
  readonly assumedRoleArn?: string;
  readonly role?: string;
  readonly sessionName?: string;
  readonly sourceIdentity?: string;
}

/** The reply's clear fields (as the requester sees them before decrypting anything). */
function issuedFields(reply: Uint8Array): IssuedFields {
  let view;
  try {
    view = readReply(reply);
  } catch {
    return {};
  }
  if (view.kind !== "credentials") return {};
  const e = view.envelope;
  const assumed = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/(.+)\/([^/]+)$/.exec(e.assumedRoleArn);
  return defined({
    accessKeyId: e.accessKeyId || undefined,
    expiresAt: e.expirationMs ? new Date(e.expirationMs).toISOString() : undefined,
    assumedRoleArn: e.assumedRoleArn || undefined,
    role: assumed ? `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}` : undefined,
    sessionName: assumed?.[4],
    sourceIdentity: e.sourceIdentity || undefined,
  });
}

/** Drops undefined members, so the JSON carries only what is known (exactOptionalPropertyTypes). */
function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  // A loop, not entries/filter/fromEntries: this runs for every decision (two arrays per member less).
  const out: Record<string, unknown> = {};
  for (const key in o) {
    const v = o[key];
    if (v !== undefined) out[key] = v;
  }
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
