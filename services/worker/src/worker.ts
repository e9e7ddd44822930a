// The vendor worker: a queue-group subscriber on every request subject that runs each request
// through the pipeline with bounded concurrency, honours deadlines, replies exactly once, and
// drains on stop.
import type { KMSClient } from "@aws-sdk/client-kms";
import type { STSClient } from "@aws-sdk/client-sts";
import { DataKeyCache, EnvelopeSealer } from "@credvend/envelope";
import { IdempotencyStore, RateLimiter, type Redis } from "@credvend/guard";
import { CredvendError, parseRequestSubject, REQUEST_WILDCARD, VENDOR_QUEUE_GROUP } from "@credvend/protocol";
import type { Msg, NatsConnection, Service } from "nats";
import type { Logger } from "pino";
import { DeadlineReached, errorReply, replyTarget, settleClaim, toCredvendError, WorkerStopping } from "./boundary.js";
import { CredentialReuse } from "./aws/credential-reuse.js";
import { buildPipeline } from "./build-pipeline.js";
import type { ConfigHolder } from "./config-holder.js";
import { Finished } from "./pipeline/pipeline.js";
import type { RequestRecord } from "./pipeline/record.js";
import type { WorkerStageContext } from "./pipeline/types.js";
import type { WorkerSettings } from "./settings.js";

export interface WorkerDeps {
  readonly nc: NatsConnection;
  readonly redis: Redis;
  readonly sts: STSClient;
  readonly kms: KMSClient;
  readonly config: ConfigHolder;
  readonly settings: WorkerSettings;
  readonly log: Logger;
  readonly now?: () => number;
}

export interface WorkerStats {
  readonly inFlight: number;
  readonly queued: number;
  readonly served: number;
  readonly failed: number;
  readonly replayed: number;
  readonly overloaded: number;
  readonly config: ReturnType<ConfigHolder["status"]>;
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

export async function startWorker(deps: WorkerDeps): Promise<Worker> {
  const { nc, settings, log } = deps;
  const now = deps.now ?? Date.now;
  const idempotency = new IdempotencyStore(deps.redis, { leaseMs: settings.idempotencyLeaseMs, ttlMs: settings.idempotencyTtlMs });
  const limiter = new RateLimiter(deps.redis);
  const sealer = new EnvelopeSealer({
    kms: deps.kms,
    keyId: settings.replyKeyId,
    cache: new DataKeyCache({ maxAgeMs: settings.dataKeyCacheSeconds * 1000, maxUses: 10_000, maxEntries: 10_000 }),
  });
  const pipeline = buildPipeline({
    sts: deps.sts,
    reuse: new CredentialReuse({ maxEntries: 10_000, now }),
    sealer,
    idempotency,
    limiter,
    config: () => deps.config.current(),
    validate: { replayWindowMs: settings.replayWindowMs, defaultDeadlineMs: settings.defaultDeadlineMs, maxDeadlineMs: 300_000 },
    vendorUsesRoleCredentials: settings.vendorUsesRoleCredentials,
  });

  let inFlight = 0;
  let served = 0;
  let failed = 0;
  let replayed = 0;
  let overloaded = 0;
  let stopping = false;
  const queue: Msg[] = [];
  const running = new Set<AbortController>();
  let idle: (() => void) | undefined;

  async function handle(msg: Msg): Promise<void> {
    const record: RequestRecord = { receivedAt: now(), deadlineMs: now() + settings.defaultDeadlineMs, awsMs: 0 };
    const controller = new AbortController();
    running.add(controller);
    let timer = setTimeout(() => controller.abort(new DeadlineReached()), settings.defaultDeadlineMs);
    let requestLog: Logger | undefined;
    const ctx: WorkerStageContext = {
      // The request's own child logger, made on first use (most requests log only their completion
      // line), bound to what is known about the request by then.
      get log() {
        requestLog ??= log.child({ requestId: record.requestId, tenant: record.identity?.tenant, principal: record.identity?.principal, template: record.template });
        return requestLog;
      },
      signal: controller.signal,
      now,
      record,
      setDeadline(epochMs) {
        record.deadlineMs = epochMs;
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(new DeadlineReached()), Math.max(0, epochMs - now()));
      },
    };
    let reply: Uint8Array;
    let error: CredvendError | undefined;
    let outcome: string;
    try {
      const out = await pipeline.run({ subject: msg.subject, data: msg.data }, ctx);
      reply = out.reply;
      outcome = out instanceof Finished ? out.outcome : "issued";
    } catch (thrown) {
      error = toCredvendError(controller.signal.aborted && !(thrown instanceof CredvendError) ? controller.signal.reason : thrown, record);
      reply = errorReply(record, error, now(), msg.reply);
      outcome = "refused";
    } finally {
      clearTimeout(timer);
      record.stopClaimRenewal?.();
      running.delete(controller);
    }
    await settleClaim(idempotency, record, reply, error, log);
    const target = replyTarget(record, msg.reply);
    if (target) nc.publish(target, reply);

    if (outcome === "replayed") replayed += 1;
    if (error) failed += 1;
    else served += 1;
    const line = {
      requestId: record.requestId,
      tenant: record.identity?.tenant,
      principal: record.identity?.principal,
      template: record.template,
      effectiveTenant: record.effectiveTenant !== record.identity?.tenant ? record.effectiveTenant : undefined,
      outcome,
      code: error?.code,
      reason: error?.reason,
      ms: now() - record.receivedAt,
      awsMs: record.awsMs,
      reused: record.reused,
      replyTo: target ? undefined : "none",
    };
    if (error?.code === "INTERNAL") log.error({ ...line, err: describeCause(error.cause) }, "request failed");
    else log.info(line, error ? `request refused: ${error.message}` : "request done");
  }

  function start(msg: Msg): void {
    inFlight += 1;
    void handle(msg).catch((e: unknown) => log.error({ err: describeCause(e) }, "request handler crashed"))
      .finally(() => {
        inFlight -= 1;
        const next = queue.shift();
        if (next) start(next);
        else if (inFlight === 0) idle?.();
      });
  }

  function refuseOverloaded(msg: Msg): void {
    overloaded += 1;
    refuse(msg, new CredvendError("CV_ERR_OVERLOADED", `worker has ${inFlight} requests in flight and ${queue.length} queued; retry with the same request_id`, { retryAfterMs: 200 }));
  }

  /** Answers a request that is not run (overload, shutdown). */
  function refuse(msg: Msg, error: CredvendError): void {
    const record: RequestRecord = { receivedAt: now(), deadlineMs: now(), awsMs: 0 };
    // Identity from the subject only; the payload is not decoded.
    const identity = parseRequestSubject(msg.subject);
    if (identity) record.identity = identity;
    const target = replyTarget(record, msg.reply);
    try {
      if (target) nc.publish(target, errorReply(record, error, now(), msg.reply));
    } catch (e) {
      log.warn({ err: describeCause(e), reason: error.reason }, "could not publish a refusal");
    }
  }

  /** Resolves when nothing is in flight, or after `ms`. */
  function untilIdle(ms: number): Promise<void> {
    if (inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      idle = () => { clearTimeout(timer); resolve(); };
    });
  }

  const stats = (): WorkerStats => ({ inFlight, queued: queue.length, served, failed, replayed, overloaded, config: deps.config.status() });
  // A NATS service: the request subscription is its `vend` endpoint, so `$SRV.PING|INFO|STATS`
  // (nats micro ls/stats, credvend status) find every worker, with these stats as endpoint data.
  const service: Service = await nc.services.add({
    name: WORKER_SERVICE_NAME,
    version: VENDOR_VERSION,
    description: "credvend credential vending worker",
    queue: VENDOR_QUEUE_GROUP,
    metadata: { pipeline: pipeline.describe() },
    statsHandler: () => Promise.resolve(stats()),
  });
  service.addEndpoint("vend", {
    subject: REQUEST_WILDCARD,
    queue: VENDOR_QUEUE_GROUP,
    handler: (err, msg) => {
      if (err) {
        log.error({ err: describeCause(err) }, "subscription error");
        return;
      }
      if (inFlight < settings.maxInFlight) start(msg);
      else if (queue.length < settings.maxQueued) queue.push(msg);
      else refuseOverloaded(msg);
    },
  });
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
      await untilIdle(settings.drainTimeoutMs);
      // Past the drain timeout: requests still queued are refused now instead of
      // starting after stop() returned (on a drained connection, so they got no reply at all), and
      // the aborted ones get a moment to release their claims and publish SHUTTING_DOWN before the
      // caller drains the NATS connection (their replies were lost).
      const shuttingDown = toCredvendError(new WorkerStopping(), { receivedAt: now(), deadlineMs: now(), awsMs: 0 });
      for (const msg of queue.splice(0)) refuse(msg, shuttingDown);
      for (const c of running) c.abort(new WorkerStopping());
      await untilIdle(ABORTED_SETTLE_MS);
      log.info({ served, failed, replayed, overloaded }, "worker stopped");
    },
  };
}

function describeCause(cause: unknown): { type: string; message: string; stack?: string } | string {
  if (cause instanceof Error) return { type: cause.name, message: cause.message, ...(cause.stack ? { stack: cause.stack } : {}) };
  return String(cause);
}
