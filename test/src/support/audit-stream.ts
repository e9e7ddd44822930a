// Reads the audit stream as an auditor would: an ordered consumer filtered by subject on the server
// (message by message lookups are too slow for the thousands of events an unaggregated flood wrote).
import { AUDIT_STREAM, auditSubject, type AuditEvent } from "@credvend/worker";
import { consumerOpts, type NatsConnection } from "nats";

/** Every stored event of `tenant` (all its principals), in stream order. */
export async function tenantEvents(nc: NatsConnection, tenant: string): Promise<AuditEvent[]> {
  const jsm = await nc.jetstreamManager();
  const filter = `${auditSubject(tenant, "x").slice(0, -1)}>`;
  const { state } = await jsm.streams.info(AUDIT_STREAM, { subjects_filter: filter });
  const held = Object.values(state.subjects ?? {}).reduce((a, b) => a + b, 0);
  if (held === 0) return [];
  const sub = await nc.jetstream().subscribe(filter, consumerOpts().orderedConsumer().deliverAll());
  const out: AuditEvent[] = [];
  try {
    for await (const m of sub) {
      out.push(m.json<AuditEvent>());
      if (m.info.pending === 0) break;
    }
  } finally {
    sub.unsubscribe();
  }
  return out;
}

/** How many decisions the events stand for: a summary counts its `count`, any other event one. */
export function decisionsIn(events: readonly AuditEvent[]): number {
  return events.reduce((n, e) => n + (e.count ?? 1), 0);
}
