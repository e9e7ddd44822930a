// Wires the HTTP port to a worker being started: metrics first (the AWS clients are instrumented
// before the first request), the server once the worker runs.
import type { KMSClient } from "@aws-sdk/client-kms";
import type { STSClient } from "@aws-sdk/client-sts";
import type { Redis } from "@credvend/guard";
import type { NatsConnection } from "nats";
import type { ConfigHolder } from "../config-holder.js";
import type { WorkerSettings } from "../settings.js";
import type { Worker } from "../worker.js";
import { instrumentKms, instrumentSts } from "./aws-metrics.js";
import { WorkerMetrics } from "./metrics.js";
import type { ReplyKeyReadiness } from "../aws/reply-key.js";
import { configCheck, natsCheck, redisCheck, replyKeyCheck, type ReadinessCheck } from "./readiness.js";
import { startHttpServer, type HttpServer } from "./server.js";

export interface WorkerHttp {
  readonly metrics: WorkerMetrics;
  /** Starts serving (not ready until attach()); resolves with the URL. */
  listen(): Promise<string>;
  /** The worker now runs: /readyz may answer 200, gauges read its stats. */
  attach(worker: Worker): void;
  /** /readyz answers 503 from now on (the worker drains). */
  stopping(): void;
  close(): Promise<void>;
}

export interface WorkerHttpDeps {
  readonly nc: NatsConnection;
  readonly redis: Redis;
  readonly sts: STSClient;
  readonly kms: KMSClient;
  readonly config: ConfigHolder;
  /** The worker's one reply-key state (run.ts watches it): /readyz reports the same finding. */
  readonly replyKey: () => ReplyKeyReadiness;
}

/** Whether `name` is a template of the config in use (none loaded: no name is). */
function knownTemplate(config: ConfigHolder, name: string): boolean {
  try {
    return Object.hasOwn(config.current().templates, name);
  } catch {
    return false;
  }
}

export function prepareWorkerHttp(settings: WorkerSettings, deps: WorkerHttpDeps): WorkerHttp {
  let worker: Worker | undefined;
  let draining = false;
  let server: HttpServer | undefined;
  const metrics = new WorkerMetrics(() => {
    const s = worker?.stats();
    const status = deps.config.status();
    const audit = s?.audit ?? { stored: 0, failed: 0, posted: 0, dropped: 0, held: 0, refusalWindows: 0 };
    return { inFlight: s?.inFlight ?? 0, queued: s?.queued ?? 0, waiting: s?.waiting ?? 0, configVersion: status.version, configLoadedAt: status.loadedAt, audit };
  }, (name) => knownTemplate(deps.config, name));
  instrumentSts(deps.sts, metrics);
  instrumentKms(deps.kms, metrics);
  const checks: ReadinessCheck[] = [
    { name: "worker", notReady: () => (draining ? "worker is stopping (draining)" : worker ? undefined : "worker starting") },
    natsCheck(deps.nc),
    redisCheck(deps.redis),
    configCheck(deps.config),
    replyKeyCheck(deps.replyKey),
  ];
  return {
    metrics,
    async listen() {
      server = await startHttpServer(settings.httpHost, settings.httpPort, checks, metrics);
      return server.url;
    },
    attach: (w) => { worker = w; },
    stopping: () => { draining = true; },
    async close() {
      await server?.close();
    },
  };
}
