// Refusals are aggregated, so that a tenant flooding refused requests (cheap for it) can not grow
// the audit stream without bound, fill NATS's disk and so stop every tenant's issuance in
// "required" mode. Per kind (tenant, principal, template, outcome, reason) the first refusal of a
// window is published in full, as any event; the others of that window are only counted, and when
// the window closes one summary names how many (`count`, `windowStart`, `windowEnd`, `firstId`).
// An operator sees the first one with all its fields, then how often it recurred.
//
// The map of open windows is bounded too (a tenant may vary principals and templates, e.g. on behalf
// of others): past its share, a tenant's refusals count into its overflow entry (per outcome), and
// past the overflow map, into one global entry per outcome. Memory stays bounded and no refusal goes
// uncounted. Decisions naming credentials are never aggregated (see aggregatable).
import { randomUUID } from "node:crypto";
import type { AuditEvent, AuditOutcome } from "./event.js";

export interface RefusalWindowOptions {
  /** How long a window stays open after its first refusal; 0 turns aggregation off. */
  readonly windowMs: number;
  /** Open windows of all tenants together. */
  readonly maxEntries?: number;
  /** Open windows of one tenant; beyond, its refusals count into its overflow entry. */
  readonly maxPerTenant?: number;
  /** Tenant overflow entries; beyond, refusals count into the global entry of their outcome. */
  readonly maxOverflow?: number;
  readonly now?: () => number;
}

export const DEFAULT_REFUSAL_WINDOW = Object.freeze({ maxEntries: 10_000, maxPerTenant: 256, maxOverflow: 1_000 });

interface Entry {
  readonly first: AuditEvent;
  readonly openedAt: number;
  readonly overflow: "tenant" | "global" | undefined;
  count: number;
  maxLatencyMs: number;
  readonly reasons: Map<string, number>;
}

/**
 * Refusals only, and none that names credentials: an issued or replayed decision is a credential
 * handed out, and a "failed" one with an access key id names credentials that exist in AWS
 * although they were held back. Other failures (AWS or Redis unavailable, deadlines) aggregate
 * like refusals: in an outage they come from every requester's retries, and what an operator needs
 * is the first in full (with its reason) and then how many; each request still has its log line.
 */
export function aggregatable(event: AuditEvent): boolean {
  return (event.outcome === "refused" || event.outcome === "denied" || event.outcome === "failed") && event.accessKeyId === undefined;
}

const SEP = "\u0000";

export class RefusalWindows {
  readonly #windowMs: number;
  readonly #limits: { readonly maxEntries: number; readonly maxPerTenant: number; readonly maxOverflow: number };
  readonly #now: () => number;
  readonly #publish: (event: AuditEvent) => void;
  /** Insertion order is window-opening order, so the first entry always closes first. */
  readonly #open = new Map<string, Entry>();
  readonly #overflow = new Map<string, Entry>();
  readonly #global = new Map<AuditOutcome, Entry>();
  readonly #perTenant = new Map<string, number>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: RefusalWindowOptions, publish: (event: AuditEvent) => void) {
    this.#windowMs = options.windowMs;
    this.#limits = {
      maxEntries: options.maxEntries ?? DEFAULT_REFUSAL_WINDOW.maxEntries,
      maxPerTenant: options.maxPerTenant ?? DEFAULT_REFUSAL_WINDOW.maxPerTenant,
      maxOverflow: options.maxOverflow ?? DEFAULT_REFUSAL_WINDOW.maxOverflow,
    };
    this.#now = options.now ?? Date.now;
    this.#publish = publish;
  }

  /** Publishes the event, or counts it in the open window of its kind. */
  note(event: AuditEvent): void {
    if (this.#closed || this.#windowMs <= 0 || !aggregatable(event)) {
      this.#publish(event);
      return;
    }
    const tenant = event.tenant ?? "";
    const key = [tenant, event.principal ?? "", event.template ?? "", event.outcome, event.reason ?? ""].join(SEP);
    const entry = this.#open.get(key) ?? this.#spill(tenant, event.outcome);
    if (entry) {
      entry.count += 1;
      entry.maxLatencyMs = Math.max(entry.maxLatencyMs, event.latencyMs);
      if (entry.overflow && event.reason) entry.reasons.set(event.reason, (entry.reasons.get(event.reason) ?? 0) + 1);
      return;
    }
    this.#openWindow(key, tenant, event);
    this.#publish(event);
  }

  /** Windows still open (tests; a gauge). */
  get size(): number {
    return this.#open.size + this.#overflow.size + this.#global.size;
  }

  /** Publishes every open window's summary now (drain, shutdown); later refusals are published in full. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#closeUntil(Number.POSITIVE_INFINITY);
  }

  /** Where a new kind counts when it may not open a window of its own: an open overflow entry. */
  #spill(tenant: string, outcome: AuditOutcome): Entry | undefined {
    if (this.#hasRoom(tenant)) return undefined;
    return this.#overflow.get(tenant + SEP + outcome) ?? (this.#overflow.size < this.#limits.maxOverflow ? undefined : this.#global.get(outcome));
  }

  #hasRoom(tenant: string): boolean {
    return (this.#perTenant.get(tenant) ?? 0) < this.#limits.maxPerTenant && this.#open.size < this.#limits.maxEntries;
  }

  #openWindow(key: string, tenant: string, first: AuditEvent): void {
    const entry = (overflow: Entry["overflow"]): Entry => ({ first, openedAt: this.#now(), overflow, count: 0, maxLatencyMs: 0, reasons: new Map() });
    if (this.#hasRoom(tenant)) {
      this.#open.set(key, entry(undefined));
      this.#perTenant.set(tenant, (this.#perTenant.get(tenant) ?? 0) + 1);
    } else if (this.#overflow.size < this.#limits.maxOverflow) {
      this.#overflow.set(tenant + SEP + first.outcome, entry("tenant"));
    } else {
      this.#global.set(first.outcome, entry("global"));
    }
    this.#arm();
  }

  /** One timer, for the window that closes first. */
  #arm(): void {
    if (this.#timer !== undefined || this.#closed) return;
    const next = Math.min(...[this.#open, this.#overflow, this.#global].map((m) => m.values().next().value?.openedAt ?? Number.POSITIVE_INFINITY));
    if (next === Number.POSITIVE_INFINITY) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#closeUntil(this.#now() - this.#windowMs);
      this.#arm();
    }, Math.max(0, next + this.#windowMs - this.#now()) + 1);
    this.#timer.unref();
  }

  /** Closes the windows opened at or before `openedBy`, publishing a summary where more than one was seen. */
  #closeUntil(openedBy: number): void {
    for (const map of [this.#open, this.#overflow, this.#global] as Map<unknown, Entry>[]) {
      for (const [key, entry] of map) {
        if (entry.openedAt > openedBy) break;
        map.delete(key);
        if (map === this.#open) this.#release(entry.first.tenant ?? "");
        if (entry.count > 0) this.#publish(summary(entry, this.#now()));
      }
    }
  }

  #release(tenant: string): void {
    const held = (this.#perTenant.get(tenant) ?? 1) - 1;
    if (held > 0) this.#perTenant.set(tenant, held);
    else this.#perTenant.delete(tenant);
  }
}

/** The summary of a window: the kind's fields from its first event, the count, no request's own fields. */
function summary(entry: Entry, closedAt: number): AuditEvent {
  const { first, overflow } = entry;
  const sameKind = overflow === undefined;
  return {
    v: 1,
    id: randomUUID(),
    time: new Date(closedAt).toISOString(),
    workerId: first.workerId,
    ...(overflow !== "global" && first.tenant !== undefined ? { tenant: first.tenant } : {}),
    ...(sameKind && first.principal !== undefined ? { principal: first.principal } : {}),
    ...(sameKind && first.template !== undefined ? { template: first.template } : {}),
    ...(sameKind && first.role !== undefined ? { role: first.role } : {}),
    outcome: first.outcome,
    ...(sameKind && first.code !== undefined ? { code: first.code } : {}),
    ...(sameKind && first.reason !== undefined ? { reason: first.reason } : {}),
    ...(sameKind && first.retryable !== undefined ? { retryable: first.retryable } : {}),
    // The slowest decision counted (a summary is many decisions; their latencies are not kept).
    latencyMs: entry.maxLatencyMs,
    count: entry.count,
    windowStart: new Date(entry.openedAt).toISOString(),
    windowEnd: new Date(closedAt).toISOString(),
    firstId: first.id,
    ...(overflow ? { overflow, reasons: Object.fromEntries(entry.reasons) } : {}),
  };
}
