// The audit stream's shape, and its creation. The worker creates it at start when it is missing
// (so a fleet needs no extra step); it never updates, purges or deletes it: its NATS user has only
// STREAM.INFO and STREAM.CREATE on this one stream (packages/policy nats-auth), so a compromised
// worker can not rewrite the retention or erase the trail. An operator who wants other limits
// creates the stream first (nats stream add, or IaC); the worker then finds it and leaves it be.
import { AUDIT_STREAM } from "@credvend/policy";
import { nanos, StorageType, type JetStreamManager, type StreamConfig } from "nats";
import { AUDIT_PREFIX } from "./event.js";

export { AUDIT_STREAM };

export interface AuditStreamOptions {
  readonly maxAgeHours: number;
  readonly duplicateWindowMs: number;
}

export function auditStreamConfig(options: AuditStreamOptions): Partial<StreamConfig> & { name: string } {
  return {
    name: AUDIT_STREAM,
    subjects: [`${AUDIT_PREFIX}.>`],
    storage: StorageType.File,
    max_age: nanos(options.maxAgeHours * 3_600_000),
    duplicate_window: nanos(options.duplicateWindowMs),
    description: "credvend decisions (no secrets)",
  };
}

const STREAM_NOT_FOUND = 10059;

export type Ensured = "found" | "created";

/** Finds the stream, or creates it; throws what JetStream said when neither works. */
export async function ensureAuditStream(jsm: JetStreamManager, options: AuditStreamOptions): Promise<Ensured> {
  try {
    await jsm.streams.info(AUDIT_STREAM);
    return "found";
  } catch (error) {
    // JetStream's own error code for "stream not found"; anything else (no JetStream, no
    // permission) is the operator's to fix and is reported as is.
    if ((error as { api_error?: { err_code?: number } }).api_error?.err_code !== STREAM_NOT_FOUND) throw error;
  }
  await jsm.streams.add(auditStreamConfig(options));
  return "created";
}
