// The notice `credvend revoke` sends to every worker after it has written the IAM deny: sessions
// of `template` (for one tenant and/or principal, when given) issued before `beforeMs` are
// revoked, so no worker may hand one out again from its reuse cache. JSON, like the NATS service
// protocol it sits beside; strictly checked, since a worker acts on it.
import { isValidName } from "./subjects.js";

export interface RevocationNotice {
  readonly template: string;
  readonly tenant?: string;
  readonly principal?: string;
  /** Sessions issued before this time (epoch ms) are revoked. */
  readonly beforeMs: number;
}

/** A worker's answer: how many cached credentials it dropped. */
export interface RevocationAck {
  readonly worker: string;
  readonly dropped: number;
}

export function encodeRevocation(notice: RevocationNotice): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(notice));
}

/** The notice, or a RangeError saying which field is wrong. */
export function parseRevocation(data: Uint8Array): RevocationNotice {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data));
  } catch {
    throw new RangeError("revocation notice is not UTF-8 JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new RangeError("revocation notice must be a JSON object");
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).filter((k) => !["template", "tenant", "principal", "beforeMs"].includes(k));
  if (unknown.length > 0) throw new RangeError(`revocation notice has unknown fields: ${unknown.join(", ")}`);
  if (typeof v["template"] !== "string" || !isValidName(v["template"])) throw new RangeError("revocation notice: template must be a template name");
  if (typeof v["beforeMs"] !== "number" || !Number.isSafeInteger(v["beforeMs"]) || v["beforeMs"] <= 0) throw new RangeError("revocation notice: beforeMs must be a positive integer (epoch ms)");
  for (const field of ["tenant", "principal"] as const) {
    if (v[field] !== undefined && (typeof v[field] !== "string" || !isValidName(v[field]))) throw new RangeError(`revocation notice: ${field} must be a credvend name`);
  }
  return {
    template: v["template"],
    beforeMs: v["beforeMs"],
    ...(typeof v["tenant"] === "string" ? { tenant: v["tenant"] } : {}),
    ...(typeof v["principal"] === "string" ? { principal: v["principal"] } : {}),
  };
}

/** Whether the notice covers a session of `template` for (tenant, principal) issued at `issuedAtMs`. */
export function revokes(notice: RevocationNotice, session: { template: string; tenant: string; principal: string; issuedAtMs: number }): boolean {
  return notice.template === session.template
    && (notice.tenant === undefined || notice.tenant === session.tenant)
    && (notice.principal === undefined || notice.principal === session.principal)
    && session.issuedAtMs < notice.beforeMs;
}
