// Prometheus metrics of one worker (prom-client, its own registry: two workers in one process, as in
// tests, never share counters). Fed from outside the pipeline: the observer's completion of each
// request, middleware on the STS and KMS clients, and gauges read from the worker at scrape time.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Answered } from "../phases/observe.js";
import type { AuditStats } from "../audit/auditor.js";

/** Every metric name, as the Grafana dashboard and the operator guide use them. */
export const METRIC_NAMES = {
  requests: "credvend_requests_total",
  requestSeconds: "credvend_request_duration_seconds",
  stageSeconds: "credvend_stage_duration_seconds",
  awsCalls: "credvend_aws_calls_total",
  awsErrors: "credvend_aws_errors_total",
  awsThrottles: "credvend_aws_throttles_total",
  cacheHits: "credvend_cache_hits_total",
  inFlight: "credvend_in_flight_requests",
  queued: "credvend_queued_requests",
  waiting: "credvend_waiting_duplicates",
  shed: "credvend_shed_requests_total",
  configInfo: "credvend_config_info",
  configLoaded: "credvend_config_loaded_timestamp_seconds",
  auditEvents: "credvend_audit_events_total",
  auditHeld: "credvend_audit_held_events",
  auditWindows: "credvend_audit_refusal_windows",
} as const;

export type AwsService = "sts" | "kms";

/** What the worker reports at scrape time. */
export interface WorkerGauges {
  readonly inFlight: number;
  readonly queued: number;
  readonly waiting: number;
  readonly configVersion: string;
  readonly configLoadedAt: number;
  /** The auditor's counts since start, and what it holds now. */
  readonly audit: AuditStats;
}

/** How each audit event ended, as `credvend_audit_events_total{result}` counts them. */
const AUDIT_RESULTS = ["stored", "failed", "posted", "dropped"] as const;

// Seconds: most stages take microseconds to milliseconds; STS and KMS take tens to hundreds of ms.
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class WorkerMetrics {
  readonly registry = new Registry();
  readonly #requests = new Counter({ name: METRIC_NAMES.requests, help: "Requests answered, by outcome (issued, replayed, refused), reason and template (\"\" when the request named none of the config's templates).", labelNames: ["outcome", "reason", "template"], registers: [this.registry] });
  readonly #requestSeconds = new Histogram({ name: METRIC_NAMES.requestSeconds, help: "Receipt to reply, by outcome.", labelNames: ["outcome"], buckets: BUCKETS, registers: [this.registry] });
  readonly #stageSeconds = new Histogram({ name: METRIC_NAMES.stageSeconds, help: "Time in each pipeline stage that ran.", labelNames: ["stage"], buckets: BUCKETS, registers: [this.registry] });
  readonly #awsCalls = new Counter({ name: METRIC_NAMES.awsCalls, help: "STS and KMS calls made (one per command, retries inside the SDK included in it).", labelNames: ["service", "operation"], registers: [this.registry] });
  readonly #awsErrors = new Counter({ name: METRIC_NAMES.awsErrors, help: "STS and KMS calls that failed, by the reason they were classified as.", labelNames: ["service", "operation", "reason"], registers: [this.registry] });
  readonly #awsThrottles = new Counter({ name: METRIC_NAMES.awsThrottles, help: "STS and KMS calls refused by AWS throttling.", labelNames: ["service", "operation"], registers: [this.registry] });
  readonly #cacheHits = new Counter({ name: METRIC_NAMES.cacheHits, help: "Work saved by a cache: reuse (credentials reused), idempotency (stored reply served again), coalesced (answered by an identical in-flight request), data_key (seal without a KMS call).", labelNames: ["cache"], registers: [this.registry] });
  readonly #shed = new Counter({ name: METRIC_NAMES.shed, help: "Requests refused by admission as overload (CV_ERR_OVERLOADED).", registers: [this.registry] });
  #sealed = 0;
  #dataKeyCalls = 0;
  readonly #knownTemplate: (name: string) => boolean;

  /**
   * `knownTemplate` says whether a name is a template of the config in use: only those become
   * label values. A refused request may name any template (128 characters of anything), and each
   * distinct name would be a series kept for the life of the process and sent on every scrape.
   */
  constructor(gauges: () => WorkerGauges, knownTemplate: (name: string) => boolean) {
    this.#knownTemplate = knownTemplate;
    const registers = [this.registry];
    new Gauge({ name: METRIC_NAMES.inFlight, help: "Requests running now.", registers, collect() { this.set(gauges().inFlight); } });
    new Gauge({ name: METRIC_NAMES.queued, help: "Requests waiting in the per-principal queues.", registers, collect() { this.set(gauges().queued); } });
    new Gauge({ name: METRIC_NAMES.waiting, help: "Duplicates held for the reply of an identical request in flight.", registers, collect() { this.set(gauges().waiting); } });
    new Gauge({ name: METRIC_NAMES.configInfo, help: "The config version in use (value 1).", labelNames: ["version"], registers, collect() { this.reset(); this.set({ version: gauges().configVersion }, 1); } });
    new Gauge({ name: METRIC_NAMES.configLoaded, help: "When the config in use was loaded.", registers, collect() { this.set(gauges().configLoadedAt / 1000); } });
    // The auditor counts its events itself; the counter mirrors those totals at scrape time.
    new Counter({
      name: METRIC_NAMES.auditEvents,
      help: "Audit events by result: stored (acknowledged by the stream), failed (not acknowledged: the credentials were withheld), posted (sent without an ack: refusals, summaries, async mode), dropped (lost: more than a NATS outage could hold).",
      labelNames: ["result"],
      registers,
      collect() {
        const audit = gauges().audit;
        this.reset();
        for (const result of AUDIT_RESULTS) this.inc({ result }, audit[result]);
      },
    });
    new Gauge({ name: METRIC_NAMES.auditHeld, help: "Audit events held while the NATS connection is down, sent when it is back.", registers, collect() { this.set(gauges().audit.held); } });
    new Gauge({ name: METRIC_NAMES.auditWindows, help: "Refusal windows open (refusals of one kind counted until the window's summary event).", registers, collect() { this.set(gauges().audit.refusalWindows); } });
    const cacheHits = this.#cacheHits;
    // Data-key hits are seals that needed no GenerateDataKey: counted at scrape time from the two.
    cacheHits.inc({ cache: "data_key" }, 0);
    for (const cache of ["reuse", "idempotency", "coalesced"]) cacheHits.inc({ cache }, 0);
  }

  /** The observer's completion of one request. */
  answered(a: Answered): void {
    const outcome = a.error ? "refused" : a.outcome;
    const template = a.record.template !== undefined && this.#knownTemplate(a.record.template) ? a.record.template : "";
    this.#requests.inc({ outcome, reason: a.error?.reason ?? "", template });
    this.#requestSeconds.observe({ outcome }, Math.max(0, a.answeredAt - a.record.receivedAt) / 1000);
    for (const [stage, ms] of Object.entries(a.stages ?? {})) this.#stageSeconds.observe({ stage }, ms / 1000);
    if (a.error?.reason === "CV_ERR_OVERLOADED") this.#shed.inc();
    if (a.record.reused) this.#cacheHits.inc({ cache: "reuse" });
    if (a.coalesced) this.#cacheHits.inc({ cache: "coalesced" });
    else if (outcome === "replayed") this.#cacheHits.inc({ cache: "idempotency" });
    if (!a.error && a.stages && "encrypt" in a.stages) this.#sealed += 1;
  }

  awsCall(service: AwsService, operation: string): void {
    this.#awsCalls.inc({ service, operation });
    if (service === "kms" && operation === "GenerateDataKey") this.#dataKeyCalls += 1;
  }

  awsError(service: AwsService, operation: string, reason: string): void {
    this.#awsErrors.inc({ service, operation, reason });
    if (reason === "CV_ERR_AWS_THROTTLED") this.#awsThrottles.inc({ service, operation });
  }

  async text(): Promise<string> {
    const hits = Math.max(0, this.#sealed - this.#dataKeyCalls);
    const dataKey = await this.#cacheHits.get();
    const current = dataKey.values.find((v) => v.labels["cache"] === "data_key")?.value ?? 0;
    if (hits > current) this.#cacheHits.inc({ cache: "data_key" }, hits - current);
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
