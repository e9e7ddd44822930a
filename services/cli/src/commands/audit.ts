// `credvend audit tail`: reads the audit stream with an ordered consumer (ephemeral, in order,
// no acks, recreated by the client after a gap), filtered by subject on the server, so only the
// asked tenant's events reach the client.
import { AUDIT_STREAM, type AuditEvent } from "@credvend/worker";
import { AUDIT_INBOX_PREFIX } from "@credvend/protocol";
import { consumerOpts, type JetStreamSubscription, type NatsConnection } from "nats";
import { CliFailure, parse, parseOutput, UsageError } from "../args.js";
import { auditFilter, sinceTime } from "../audit-filter.js";
import { requesterEnv } from "../cli-env.js";
import { connectNats } from "../connect.js";

export const AUDIT_USAGE = `usage: credvend audit tail [--tenant T] [--principal P] [--since DURATION|TIME] [--follow] [--output json|table]

Prints the workers' decisions (issued, replayed, denied, failed, refused) from the JetStream
stream ${AUDIT_STREAM} (subjects credvend.v1.audit.<tenant>.<principal>). Events hold no secret.
  --tenant T, --principal P   only this tenant's / principal's events (filtered by the server)
  --since DURATION|TIME       from 90s, 15m, 2h, 7d ago, or from an ISO 8601 time; default: all kept
  --follow                    keep printing new events until interrupted
  --output json|table         json: one event per line as stored; table (default): one line each
Refusals are aggregated by the workers: the first of a kind in a window is shown in full, then a
summary line "×N more" counts the others of that window (no request id: many requests).
NATS_URL, NATS_USER and NATS_PASSWORD select the server; the user needs what
credvend nats-config --auditor-user grants: the JetStream API for ephemeral consumers of
${AUDIT_STREAM} and its flow control, and subscriptions on ${AUDIT_INBOX_PREFIX}.>.`;

export async function auditCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "tail") throw new UsageError(sub === undefined ? "audit needs a subcommand: tail" : `unknown audit subcommand '${sub}' (known: tail)`);
  const { values } = parse(rest, {
    tenant: { type: "string" },
    principal: { type: "string" },
    since: { type: "string" },
    follow: { type: "boolean", default: false },
    output: { type: "string" },
  });
  const output = parseOutput(values.output, ["table", "json"]);
  const filter = auditFilter(values.tenant, values.principal);
  const since = sinceTime(values.since, Date.now());
  const print = output === "json" ? (e: AuditEvent) => out(JSON.stringify(e)) : (e: AuditEvent) => out(tableLine(e));
  // Its own inbox prefix, so an auditor's user needs no subscription on every user's _INBOX.>.
  const nc = await connectNats(requesterEnv(), "credvend-audit-tail", AUDIT_INBOX_PREFIX);
  try {
    return await tail(nc, { filter, since, follow: values.follow, print });
  } finally {
    await nc.close();
  }
}

interface TailOptions {
  readonly filter: string;
  readonly since: Date | undefined;
  readonly follow: boolean;
  readonly print: (e: AuditEvent) => void;
}

async function tail(nc: NatsConnection, o: TailOptions): Promise<number> {
  // The ordered push consumer: the servers this project supports (nats-server 2.9) do not serve
  // nats.js's newer ordered pull consumer (js.consumers.get), whose requests go unanswered there.
  // Bound by name: finding the stream by subject would need $JS.API.STREAM.NAMES, which lists
  // every stream of the account, and an auditor's user may look up only this one.
  const opts = consumerOpts().orderedConsumer().bindStream(AUDIT_STREAM);
  if (o.since) opts.startTime(o.since);
  else opts.deliverAll();
  let sub: JetStreamSubscription;
  let total: number;
  try {
    sub = await nc.jetstream().subscribe(o.filter, opts);
    // What the consumer holds as of now (delivered already, or still to deliver).
    const info = await sub.consumerInfo();
    total = info.delivered.consumer_seq + info.num_pending;
  } catch (error) {
    if ((error as { api_error?: { err_code?: number } }).api_error?.err_code === 10059 || /stream not found|no stream matches/i.test((error as Error).message)) {
      throw new CliFailure(`no audit stream ${AUDIT_STREAM} on this NATS server: a worker creates it at start (or create it with nats stream add)`);
    }
    throw error;
  }
  if (total === 0 && !o.follow) {
    sub.unsubscribe();
    return 0;
  }
  // Ctrl-C ends --follow cleanly (the connection is closed by the caller).
  const stop = () => sub.unsubscribe();
  process.once("SIGINT", stop);
  try {
    for await (const m of sub) {
      o.print(m.json<AuditEvent>());
      if (!o.follow && m.info.pending === 0) break;
    }
  } finally {
    process.removeListener("SIGINT", stop);
    sub.unsubscribe();
  }
  return 0;
}

function tableLine(e: AuditEvent): string {
  const who = `${e.tenant ?? "?"}/${e.principal ?? (e.overflow ? "*" : "?")}`;
  const what = e.outcome === "issued" || e.outcome === "replayed" ? `${e.accessKeyId ?? ""} until ${e.expiresAt ?? "?"}` : `${e.code ?? ""} ${e.reason ?? ""}`.trim();
  return [e.time, e.outcome.padEnd(8), who, e.template ?? (e.overflow ? "*" : "-"), e.requestId ?? "-", e.count === undefined ? what : summarized(e, what), `${e.latencyMs}ms`, e.workerId].join("  ");
}

/**
 * A summary of refusals (the worker aggregates them per window): how many more of the kind whose
 * first event came earlier (firstId), over which window; an overflow entry lists its reasons.
 */
function summarized(e: AuditEvent, what: string): string {
  const reasons = e.reasons ? Object.entries(e.reasons).map(([r, n]) => `${r}=${n}`).join(",") : "";
  const kind = e.overflow ? `(${e.overflow} overflow) ${reasons}`.trim() : what;
  return `${kind} ×${e.count ?? 0} more, ${e.windowStart ?? "?"} to ${e.windowEnd ?? "?"}`;
}
