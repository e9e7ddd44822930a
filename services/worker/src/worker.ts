// The worker: a queue-group subscriber on every request subject. Each message goes through the
// request lifecycle as named phases:
//   admit (size, identity, coalesce, per-principal queue, overload)
//   ▶ serve (the pipeline of stages, under the request's deadline)
//   ▶ settle (the idempotency record) ▶ reply (exactly one, in the requester's namespace)
//   ▶ observe (counters, $SRV.STATS, one completion line)
// and the worker drains on stop.
import type { KMSClient } from "@aws-sdk/client-kms";
import type { STSClient } from "@aws-sdk/client-sts";
import { DataKeyCache, DEFAULT_DATA_KEY_CACHE, EnvelopeSealer, type SealingKey } from "@credvend/envelope";
import { DATA_KEY_OWNER_PREFIX, IdempotencyStore, LimitedClaims, RateLimiter, ReuseOwners, type Redis } from "@credvend/guard";
import { CredvendError, markReplayed, type CredentialRequest, REQUEST_WILDCARD, requestIdOfReplySubject, VENDOR_QUEUE_GROUP } from "@credvend/protocol";
import type { NatsConnection, Service } from "nats";
import type { Logger } from "pino";
import { Admission, type Job, type Refused, type Waiter } from "./admission/admission.js";
import type { Caller } from "./admission/fair-queue.js";
import { errorReply, replyTarget, toCredvendError, WorkerStopping } from "./boundary.js";
import { auditHook, startAuditor } from "./audit/audit.js";
import type { AuditStats } from "./audit/auditor.js";
import { CredentialReuse } from "./aws/credential-reuse.js";
import { FleetDataKeys } from "./aws/fleet-data-keys.js";
import { FleetReuse } from "./aws/fleet-reuse.js";
import { PeerLink } from "./aws/peer-link.js";
import type { PeerAuth } from "./aws/peer-auth.js";
import { followRevocations } from "./aws/follow-revocations.js";
import { StsBudget } from "./aws/sts-budget.js";
import { DeniedCache } from "./aws/denied-cache.js";
import { buildPipeline } from "./build-pipeline.js";
import type { ConfigHolder } from "./config-holder.js";
import { reportEndpointStats } from "./phases/endpoint-stats.js";
import { describeCause, Observer, type Answered, type Counters } from "./phases/observe.js";
import { serve } from "./phases/serve.js";
import { settleClaim, withheld } from "./phases/settle.js";
import type { RequestRecord } from "./pipeline/record.js";
import type { WorkerSettings } from "./settings.js";
import type { ReplyKeyReadiness } from "./aws/reply-key.js";

export interface WorkerDeps {
  readonly nc: NatsConnection;
  readonly redis: Redis;
  readonly sts: STSClient;
  readonly kms: KMSClient;
  readonly config: ConfigHolder;
  readonly settings: WorkerSettings;
  readonly log: Logger;
  /** The fleet's X25519 sealing key; without it, requests for sealed replies are refused. */
  readonly sealingKey?: SealingKey;
  /** The reply key as run.ts's background check last found it: KMS-sealed replies are refused while it is unusable. */
  readonly replyKey?: () => ReplyKeyReadiness;
  /** Signs what this worker asks other workers for, and checks what they answer (peer-auth.ts). */
  readonly peerAuth?: PeerAuth;
  readonly now?: () => number;
  /** Hears every answered request (the metrics of the HTTP port). */
  readonly onAnswered?: (a: Answered) => void;
}

/** The observer's counters (requests answered, served, …) beside admission's gauges and the config. */
export interface WorkerStats extends Pick<Counters, "requests" | "served" | "failed" | "replayed" | "overloaded" | "coalesced"> {
  readonly inFlight: number;
  readonly queued: number;
  readonly queuedBytes: number;
  /** Duplicates held for the reply of an identical request in flight (they hold no slot). */
  readonly waiting: number;
  readonly config: ReturnType<ConfigHolder["status"]>;
  /** The audit's own counts: events stored, failed, posted, held in an outage, dropped; windows open. */
  readonly audit: AuditStats;
}

export const WORKER_SERVICE_NAME = "credvend-vendor";
export const VENDOR_VERSION = "0.1.0";
/** After the drain timeout, how long aborted requests get to settle their claims and reply. */
const ABORTED_SETTLE_MS = 2000;

export interface Worker {
  /** The pipeline's stages, in order. */
  readonly pipeline: string;
  /** This worker's NATS service id (as $SRV.PING/INFO/STATS report it). */
  readonly id: string;
  stats(): WorkerStats;
  /** Stops taking requests, finishes those in flight (up to the drain timeout), then returns. */
  stop(): Promise<void>;
}

/** What the audit reads of a job's request: its bytes, and the request admission decoded from them. */
function requestOf(job: Job): { payload: Uint8Array; request?: CredentialRequest } {
  return job.request === undefined ? { payload: job.msg.data } : { payload: job.msg.data, request: job.request };
}

export async function startWorker(deps: WorkerDeps): Promise<Worker> {
  const { nc, settings, log } = deps;
  const now = deps.now ?? Date.now;
  const idempotency = new IdempotencyStore(deps.redis, { leaseMs: settings.idempotencyLeaseMs, ttlMs: settings.idempotencyTtlMs, fenceMarginMs: settings.idempotencyFenceMarginMs, replicas: settings.redisWaitReplicas });
  const dataKeys = new DataKeyCache({ ...DEFAULT_DATA_KEY_CACHE, maxAgeMs: settings.dataKeyCacheSeconds * 1000 });
  const sealer = new EnvelopeSealer({ kms: deps.kms, keyId: settings.replyKeyId, cache: dataKeys });
  const reuse = new CredentialReuse({ maxEntries: 10_000, now });
  const limiter = new RateLimiter(deps.redis);
  const pipeline = buildPipeline({
    sts: deps.sts,
    reuse,
    sealer,
    sealingKey: deps.sealingKey,
    replyKey: deps.replyKey,
    idempotency,
    limiter,
    claims: new LimitedClaims(deps.redis, idempotency, limiter),
    config: () => deps.config.current(),
    validate: { replayWindowMs: settings.replayWindowMs, defaultDeadlineMs: settings.defaultDeadlineMs, maxDeadlineMs: 300_000, sealedReplies: deps.sealingKey !== undefined },
    vendorUsesRoleCredentials: settings.vendorUsesRoleCredentials,
    now,
    stsBudget: settings.stsBudgetPerSecond > 0
      ? new StsBudget(deps.redis, { perSecond: settings.stsBudgetPerSecond, burst: settings.stsBudgetBurst, region: settings.region ?? (await deps.sts.config.region()) })
      : undefined,
    deniedCache: settings.deniedCacheMs > 0 ? new DeniedCache({ ttlMs: settings.deniedCacheMs, maxEntries: 10_000, now }) : undefined,
  });
  const observer = new Observer(log, deps.onAnswered ? [deps.onAnswered] : []);
  const auditor = await startAuditor(nc, {
    mode: settings.auditMode, timeoutMs: settings.auditTimeoutMs, maxAgeHours: settings.auditMaxAgeHours, duplicateWindowMs: settings.auditDuplicateWindowMs,
  }, log);
  const audit = auditHook(auditor, {
    // The service (and its id) exists before the first request arrives.
    get workerId() { return service.info().id; },
    template: (name) => deps.config.current().templates[name],
  }, now, { windowMs: settings.auditRefusalWindowMs });
  const running = new Set<AbortController>();
  let stopping = false;
  let idle: (() => void) | undefined;

  /** Reply phase: exactly one publish per request, never outside the requester's namespace. */
  function reply(record: RequestRecord, replyTo: string | undefined, bytes: Uint8Array): string | undefined {
    const target = replyTarget(record, replyTo);
    try {
      if (target) nc.publish(target, bytes);
    } catch (e) {
      log.warn({ err: describeCause(e) }, "could not publish a reply");
    }
    return target;
  }

  /** Duplicates that waited for this request get its reply, marked as a replay (each its own audited decision). */
  async function answerWaiters(record: RequestRecord, bytes: Uint8Array, job: Job, waiters: readonly Waiter[], outcome: string, error: CredvendError | undefined): Promise<void> {
    if (waiters.length === 0) return;
    const replayed = markReplayed(bytes);
    await Promise.all(waiters.map(async (w) => {
      const own = { ...record, receivedAt: w.receivedAt };
      const audited = await audit.decide({ record: own, error, outcome: error ? outcome : "replayed", reply: replayed, ...requestOf(job), coalesced: true, decidedAt: now() });
      const target = reply(record, w.replyTo, audited.reply);
      observer.answered({ record: own, error: audited.error, outcome: audited.outcome, target, coalesced: true, answeredAt: now() });
    }));
  }

  async function runJob(job: Job): Promise<void> {
    let finished = false;
    try {
      const result = await serve({ pipeline, log, now, defaultDeadlineMs: settings.defaultDeadlineMs, running },
        { subject: job.msg.subject, data: job.msg.data, ...(job.fingerprint === undefined ? {} : { fingerprint: job.fingerprint }), ...(job.request === undefined ? {} : { request: job.request }) }, job.receivedAt, identityOf(job.caller));
      const settlement = await settleClaim(idempotency, result.record, result.reply, result.error, log, { refusalTtlMs: settings.refusalTtlMs, now });
      // Credentials leave only once Redis has their record (as only once their audit event is stored).
      const served = withheld(result, settlement, now());
      // Audited after the claim is settled (a failed audit write keeps the sealed credentials for
      // the retry) and before the reply (in "required" mode no credentials leave unaudited).
      const heldBack = served.reply !== result.reply && result.error === undefined ? { heldBack: result.reply } : {};
      const audited = await audit.decide({ ...served, ...heldBack, ...requestOf(job), decidedAt: now() });
      // A request whose own deadline passed has no one waiting (the deadline is the requester's
      // whole budget); its reply could only reach a later call with the same request id (all
      // attempts share one reply subject) and fail that call with this call's stale error.
      // (One that arrived past its deadline is still told so: its deadline was never set.)
      const outlived = served.error?.reason === "CV_ERR_DEADLINE_PASSED" && now() >= served.record.deadlineMs;
      const target = outlived ? undefined : reply(served.record, job.msg.reply, audited.reply);
      observer.answered({ ...served, ...audited, target, answeredAt: now() });
      finished = true;
      if (outlived) {
        // Duplicates have deadlines of their own (an application's retry of the id): the work goes
        // on (late settlement), so they are told to retry, not given the leader's stale error.
        const inProgress = new CredvendError("CV_ERR_IDEMPOTENCY_IN_PROGRESS", "an identical request is still being served; retry with the same request_id", { retryAfterMs: 250 });
        await answerWaiters(served.record, errorReply(served.record, inProgress, now()), job, admission.finish(job), served.outcome, inProgress);
      } else {
        await answerWaiters(served.record, audited.reply, job, admission.finish(job), audited.outcome, audited.error);
      }
    } finally {
      // Whatever happened, the slot is given back (a leaked slot would shrink the worker for good)
      // and every duplicate that waited gets an answer.
      if (!finished) {
        const failure = toCredvendError(new Error("request handler failed before its reply"), { receivedAt: job.receivedAt, deadlineMs: job.receivedAt });
        for (const w of admission.finish(job)) refuse(w.replyTo, { caller: job.caller, receivedAt: w.receivedAt, ...(job.requestId ? { requestId: job.requestId } : {}) }, failure);
      }
      if (admission.inFlight === 0) idle?.();
    }
  }

  /** Answers a message that is not run (admission refused it, or the worker is stopping). */
  function refuse(replyTo: string | undefined, refused: Refused, error: CredvendError): void {
    // Identity from the subject only; the request id admission read, else the one the requester's
    // own reply subject names (an oversized or undecodable payload): clients ignore error replies
    // that name no request id, since anyone could have sent those.
    const identity = refused.caller && identityOf(refused.caller);
    const { receivedAt } = refused;
    const requestId = refused.requestId ?? (identity ? requestIdOfReplySubject(replyTo, identity) : undefined);
    const record: RequestRecord = { receivedAt, deadlineMs: receivedAt, ...(identity ? { identity } : {}), ...(requestId ? { requestId } : {}) };
    const bytes = errorReply(record, error, now());
    const target = reply(record, replyTo, bytes);
    audit.note({ record, error, outcome: "refused", reply: bytes, decidedAt: now() });
    observer.answered({ record, error, outcome: "refused", target, answeredAt: now() });
  }

  const admission: Admission = new Admission(settings, {
    run: (job) => void runJob(job).catch((e: unknown) => log.error({ err: describeCause(e) }, "request handler crashed")),
    refuse,
  });

  /** Resolves when nothing is in flight, or after `ms`. */
  function untilIdle(ms: number): Promise<void> {
    if (admission.inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      idle = () => { clearTimeout(timer); resolve(); };
    });
  }

  const stats = (): WorkerStats => {
    const { requests, served, failed, replayed, overloaded, coalesced } = observer.counters();
    return {
      inFlight: admission.inFlight, queued: admission.queued, queuedBytes: admission.queuedBytes, waiting: admission.waiting,
      requests, served, failed, replayed, overloaded, coalesced, config: deps.config.status(),
      audit: { ...auditor.counters(), refusalWindows: audit.openWindows },
    };
  };
  // Redis's processes are read before the first request is taken (see IdempotencyStore.settled).
  await idempotency.settled();
  // A NATS service: the request subscription is its `vend` endpoint, so `$SRV.PING|INFO|STATS`
  // (nats micro ls/stats, credvend status) find every worker, with these stats as endpoint data
  // and the endpoint's request, error and processing-time counters taken from the observer.
  const service: Service = await nc.services.add({
    name: WORKER_SERVICE_NAME,
    version: VENDOR_VERSION,
    description: "credvend credential vending worker",
    queue: VENDOR_QUEUE_GROUP,
    metadata: { pipeline: pipeline.describe() },
    statsHandler: (endpoint) => {
      reportEndpointStats(endpoint, observer.counters());
      return Promise.resolve(stats());
    },
  });
  // Before the first request: sessions and data keys another worker owns are asked of it, not of AWS.
  const peers = new PeerLink({ nc, selfId: () => service.info().id, log, auth: deps.peerAuth });
  reuse.shareWith(new FleetReuse({ link: peers, owners: new ReuseOwners(deps.redis), reuse, now }));
  dataKeys.shareWith(new FleetDataKeys({ link: peers, owners: new ReuseOwners(deps.redis, { prefix: DATA_KEY_OWNER_PREFIX }), cache: dataKeys }));
  peers.serve();
  service.addEndpoint("vend", {
    subject: REQUEST_WILDCARD,
    queue: VENDOR_QUEUE_GROUP,
    handler: (err, msg) => {
      if (err) {
        log.error({ err: describeCause(err) }, "subscription error");
        return;
      }
      admission.admit(msg, now());
    },
  });
  const revocations = followRevocations(nc, reuse, () => service.info().id, log);
  await nc.flush();
  log.info({ subject: REQUEST_WILDCARD, queue: VENDOR_QUEUE_GROUP, serviceId: service.info().id, pipeline: pipeline.describe(), maxInFlight: settings.maxInFlight }, "worker ready");

  return {
    pipeline: pipeline.describe(),
    id: service.info().id,
    stats,
    async stop() {
      if (stopping) return;
      stopping = true;
      // Stop receiving (the service drains its subscriptions); in-flight and queued requests
      // finish, or hit the drain timeout.
      await service.stop();
      revocations.stop();
      await untilIdle(settings.drainTimeoutMs);
      // Past the drain timeout: requests still queued are refused now instead of
      // starting after stop() returned (on a drained connection, so they got no reply at all), and
      // the aborted ones get a moment to release their claims and publish SHUTTING_DOWN before the
      // caller drains the NATS connection (their replies were lost).
      const shuttingDown = toCredvendError(new WorkerStopping(), { receivedAt: now(), deadlineMs: now() });
      for (const { job, waiters } of admission.drain()) {
        for (const { replyTo, receivedAt } of [{ replyTo: job.msg.reply, receivedAt: job.receivedAt }, ...waiters]) refuse(replyTo, { caller: job.caller, receivedAt, ...(job.requestId ? { requestId: job.requestId } : {}) }, shuttingDown);
      }
      for (const c of running) c.abort(new WorkerStopping());
      await untilIdle(ABORTED_SETTLE_MS);
      // Other workers may have asked for sessions and data keys this one owns until now.
      peers.stop();
      // The last refusals (SHUTTING_DOWN above included) are counted: their summaries go out before
      // the caller drains the connection.
      audit.close();
      const { served, failed, replayed, overloaded } = observer.counters();
      log.info({ served, failed, replayed, overloaded }, "worker stopped");
    },
  };
}

/** Admission's caller, as a subject identity; none for messages whose subject named no valid caller. */
function identityOf(caller: Caller): Caller | undefined {
  return caller.tenant ? caller : undefined;
}
