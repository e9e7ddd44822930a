// The audit event: one JSON object per decision (issued, replayed, denied, failed, refused) on
// `credvend.v1.audit.<tenant>.<principal>`, except that refusals of one kind within a window are
// one event in full plus one summary with their count (refusal-windows.ts). JSON rather than protobuf because its readers are log
// pipelines and SIEMs that ingest JSON as is (and `nats stream view` shows it readably); the wire
// between requester and worker stays protobuf. Fields are only added, never renamed (`v` = 1).
// It never holds a secret: no secret key, session token, MFA code, web identity token, SAML
// assertion or data key; the builder copies named clear fields only, never whole messages.
import { SUBJECT_PREFIX } from "@credvend/protocol";

export const AUDIT_PREFIX = `${SUBJECT_PREFIX}.audit`;
/** Subject token for a message whose subject named no valid tenant/principal (names never start with '_'). */
export const UNIDENTIFIED = "_";

export type AuditOutcome = "issued" | "replayed" | "denied" | "failed" | "refused";

export interface AuditEvent {
  readonly v: 1;
  /** Unique per decision: a replay of a request id is its own decision, with its own id. */
  readonly id: string;
  readonly time: string;
  readonly workerId: string;
  readonly requestId?: string;
  readonly tenant?: string;
  readonly principal?: string;
  /** The tenant the credentials are for when the caller acted on behalf of another one. */
  readonly effectiveTenant?: string;
  readonly template?: string;
  /** Values of the template's declared parameters as sent (parameters are typed, never secrets). */
  readonly params?: Readonly<Record<string, string>>;
  readonly durationSeconds?: number;
  readonly role?: string;
  readonly assumedRoleArn?: string;
  readonly sessionName?: string;
  readonly sourceIdentity?: string;
  readonly accessKeyId?: string;
  readonly expiresAt?: string;
  readonly outcome: AuditOutcome;
  readonly code?: string;
  readonly reason?: string;
  readonly retryable?: boolean;
  /** Receipt to decision, in milliseconds. */
  readonly latencyMs: number;
  /** Answered with the reply of an identical request in flight on this worker. */
  readonly coalesced?: boolean;
  /** Served with still-fresh credentials of an earlier identical request (template `reuse`). */
  readonly reused?: boolean;
  /** The reply was sealed to the requester's X25519 key (an access rule's sealed_replies), not KMS. */
  readonly sealedReply?: boolean;
  // A summary of refusals (refusal-windows.ts): the first refusal of a kind in a window is an event
  // of its own, the others of the window are only counted, and one summary names how many.
  /** How many further decisions of this kind the window saw after its first (only on summaries). */
  readonly count?: number;
  /** When the summarized window opened (its first decision) and when it was closed. */
  readonly windowStart?: string;
  readonly windowEnd?: string;
  /** The id of the event the window opened with (its first decision, stored in full). */
  readonly firstId?: string;
  /** Counted in an overflow entry (the aggregation's map was full): principal and template may vary. */
  readonly overflow?: "tenant" | "global";
  /** In an overflow summary, the count of each reason (bounded: reasons are the registry's codes). */
  readonly reasons?: Readonly<Record<string, number>>;
}

export function auditSubject(tenant: string | undefined, principal: string | undefined): string {
  return `${AUDIT_PREFIX}.${tenant ?? UNIDENTIFIED}.${principal ?? UNIDENTIFIED}`;
}

/**
 * The JetStream message id: the same event published twice (a retried publish) is stored once,
 * while two decisions about one request id (the issue, then each replay) are distinct messages.
 */
export function auditMsgId(event: AuditEvent): string {
  return [event.tenant ?? UNIDENTIFIED, event.principal ?? UNIDENTIFIED, event.requestId ?? UNIDENTIFIED, event.outcome, event.id].join(":");
}

export function encodeAuditEvent(event: AuditEvent): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(event));
}
