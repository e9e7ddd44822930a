// Wires a worker from settings: NATS, Redis, STS and KMS clients, config (file or NATS KV).
import { KMSClient } from "@aws-sdk/client-kms";
import { STSClient } from "@aws-sdk/client-sts";
import { createRedis, guardEventLevel, waitReady } from "@credvend/guard";
import { redactUrl, redactUrls } from "@credvend/protocol";
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection } from "nats";
import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { replyKeyRefusal, watchReplyKey, type ReplyKeyReadiness } from "./aws/reply-key.js";
import { loadSealingKey } from "./aws/sealing-key.js";
import { loadPeerAuth } from "./aws/peer-key.js";
import { STS_CLIENT_OPTIONS } from "./aws/sts-send.js";
import { ConfigHolder } from "./config-holder.js";
import { prepareWorkerHttp } from "./http/worker-http.js";
import { loadKvConfig } from "./kv-config.js";
import { createLogger } from "./logger.js";
import type { WorkerSettings } from "./settings.js";
import { startWorker, type Worker } from "./worker.js";

/** Static AWS credentials (the same shape the AWS SDK clients accept). */
export interface AwsStaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface RunningWorker {
  readonly worker: Worker;
  readonly nc: NatsConnection;
  readonly config: ConfigHolder;
  readonly log: Logger;
  /** What the start-up check of the reply key found (DescribeKey): "ready" or why not. */
  replyKey(): ReplyKeyReadiness;
  /** Health and metrics (when RunOptions.http): http://host:port of /healthz, /readyz, /metrics. */
  readonly httpUrl: string | undefined;
  /** Re-reads the config file (file mode; SIGHUP). */
  reload(): void;
  stop(): Promise<void>;
}

export interface RunOptions {
  readonly logger?: Logger;
  /** Explicit AWS identity for the vendor (the dev stack); otherwise the SDK's default chain. */
  readonly awsCredentials?: AwsStaticCredentials;
  /** AWS endpoint (aws-local) instead of the SDK's standard endpoint settings. */
  readonly awsEndpoint?: string;
  readonly name?: string;
  /** A file config the caller has already loaded and checked (file mode); otherwise it is loaded here. */
  readonly config?: ConfigHolder;
  /** The CA that signed the NATS server's certificate (the dev stack's own; otherwise the system's trust). */
  readonly natsCaFile?: string;
  /** Serve /healthz, /readyz and /metrics on CREDVEND_HTTP_HOST:CREDVEND_HTTP_PORT (the worker command and the dev stack). */
  readonly http?: boolean;
}

const REPLY_KEY_RECHECK_MS = 10_000;
/** A usable reply key is checked this often, so one disabled later turns /readyz to 503. */
const REPLY_KEY_REFRESH_MS = 30_000;

export type { ReplyKeyReadiness } from "./aws/reply-key.js";

export class WorkerStartError extends Error {
  override readonly name = "WorkerStartError";
}

export async function runWorker(settings: WorkerSettings, options: RunOptions = {}): Promise<RunningWorker> {
  const log = options.logger ?? createLogger({ level: settings.logLevel });
  const lint = { vendorUsesRoleCredentials: settings.vendorUsesRoleCredentials };
  if (!settings.configFile && !settings.configKvBucket) {
    throw new WorkerStartError("no config: set CREDVEND_CONFIG to a templates file, or CREDVEND_CONFIG_KV_BUCKET to a NATS KV bucket");
  }
  // A bad file is reported before any connection is made.
  const fileHolder = settings.configFile && !settings.configKvBucket ? (options.config ?? ConfigHolder.fromFile(settings.configFile, lint)) : undefined;
  const sealingKey = settings.sealingKeyFile ? loadSealingKey(settings.sealingKeyFile) : undefined;
  if (sealingKey) log.info({ sealingPublicKey: Buffer.from(sealingKey.publicKey).toString("base64") }, "sealed replies enabled (requesters pin this public key)");
  const peerAuth = settings.peerKeyFile ? loadPeerAuth(settings.peerKeyFile) : undefined;

  const natsOptions: ConnectionOptions = {
    servers: settings.natsUrl.split(","),
    name: options.name ?? "credvend-vendor",
    maxReconnectAttempts: -1,
    ...(settings.natsUser ? { user: settings.natsUser, pass: settings.natsPassword ?? "" } : {}),
    ...(settings.natsCredsFile ? { authenticator: credsAuthenticator(readFileSync(settings.natsCredsFile)) } : {}),
    ...(options.natsCaFile ? { tls: { caFile: options.natsCaFile } } : {}),
  };
  let nc: NatsConnection;
  try {
    nc = await connect(natsOptions);
  } catch (cause) {
    throw new WorkerStartError(redactUrls(`cannot connect to NATS at ${settings.natsUrl}: ${(cause as Error).message}`), { cause });
  }
  const redis = createRedis(settings.redisUrl, {
    name: "credvend-vendor",
    // Under its own key: the detail's `name` (the connection's) must not overwrite the logger's.
    logger: (event, detail) => log[guardEventLevel(event)]({ redis: detail }, event),
  });
  try {
    await waitReady(redis, 5000);
  } catch (cause) {
    await nc.close();
    redis.disconnect();
    throw new WorkerStartError(redactUrls(`cannot reach Redis at ${settings.redisUrl}: ${(cause as Error).message}`), { cause });
  }
  let kvWatch: Awaited<ReturnType<typeof loadKvConfig>> | undefined;
  try {
    kvWatch = settings.configKvBucket ? await loadKvConfig(nc, settings.configKvBucket, lint, log) : undefined;
  } catch (error) {
    // Nothing may stay connected (and keep the process alive) when start-up fails.
    await nc.close().catch(() => undefined);
    redis.disconnect();
    throw error;
  }
  const holder = kvWatch?.holder ?? fileHolder;
  if (!holder) throw new WorkerStartError("no config loaded");

  const aws = {
    ...(settings.region ? { region: settings.region } : {}),
    ...(options.awsCredentials ? { credentials: options.awsCredentials } : {}),
    ...(options.awsEndpoint ? { endpoint: options.awsEndpoint } : {}),
  };
  const sts = new STSClient({ ...aws, ...STS_CLIENT_OPTIONS });
  const kms = new KMSClient(aws);
  // Before taking requests: a broken reply key is reported now, and the data-key stage (before
  // STS) refuses each request with the KMS error, so no AssumeRole is spent on it.
  const replyKey = await watchReplyKey(kms, settings.replyKeyId, {
    onChange: (r) => {
      if (r.state === "ready") log.info({ replyKey: r.keyArn }, "reply key ready");
      else if (replyKeyRefusal(r)) log.error({ reason: r.reason, problem: r.problem }, "reply key unusable: every KMS-sealed request is refused before STS until it is fixed");
      else log.warn({ reason: r.reason, problem: r.problem }, "reply key could not be checked; requests go on (a KMS failure refuses each before STS) and it is checked again");
    },
    unusableEveryMs: REPLY_KEY_RECHECK_MS,
    readyEveryMs: REPLY_KEY_REFRESH_MS,
  });
  // The HTTP port comes up before the worker subscribes (probes answer "starting" meanwhile).
  const http = options.http ? prepareWorkerHttp(settings, { nc, redis, sts, kms, config: holder, replyKey: replyKey.current }) : undefined;
  let httpUrl: string | undefined;
  try {
    httpUrl = await http?.listen();
  } catch (cause) {
    await nc.close().catch(() => undefined);
    redis.disconnect();
    throw new WorkerStartError(`cannot serve health and metrics on ${settings.httpHost}:${settings.httpPort} (CREDVEND_HTTP_HOST, CREDVEND_HTTP_PORT): ${(cause as Error).message}`, { cause });
  }
  const worker = await startWorker({ nc, redis, sts, kms, config: holder, settings, log, replyKey: replyKey.current, ...(sealingKey ? { sealingKey } : {}), ...(peerAuth ? { peerAuth } : {}), ...(http ? { onAnswered: (a) => http.metrics.answered(a) } : {}) })
    .catch(async (error: unknown) => {
      await http?.close();
      throw error;
    });
  http?.attach(worker);
  if (httpUrl) log.info({ url: httpUrl }, "health and metrics listening");

  return {
    worker,
    nc,
    config: holder,
    log,
    replyKey: replyKey.current,
    httpUrl,
    reload() {
      if (!fileHolder) return;
      const result = fileHolder.reloadFile();
      if (result.accepted) log.info({ version: fileHolder.status().version }, "config reloaded");
      else log.error({ problems: result.problems }, "config reload refused; keeping the last good config");
    },
    async stop() {
      replyKey.stop();
      http?.stopping();
      await worker.stop();
      await http?.close();
      kvWatch?.stop();
      // drain() waits for the server; with NATS gone it would wait forever (reconnects never stop).
      await bounded(nc.drain(), settings.drainTimeoutMs).catch(() => undefined);
      if (!nc.isClosed()) await nc.close().catch(() => undefined);
      await bounded(redis.quit(), 1000).catch(() => redis.disconnect());
      sts.destroy();
      kms.destroy();
    },
  };
}

function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/** Kept for importers of the worker; the rule lives in @credvend/protocol. */
export { redactUrl };
