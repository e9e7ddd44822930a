// The whole stack on one machine: nats-server with generated per-principal permissions, Redis,
// aws-local with the dev seed, one worker, and a demo requester identity.
import { devCredentials, startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { natsAuthorization } from "@credvend/policy";
import { onProcessExit, startNatsServer, startRedisServer, type ServerHandle } from "@credvend/launcher";
import { ConfigHolder, createLogger, runWorker, settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { DEMO_CONFIG_FILE, DEMO_PRINCIPAL, DEMO_TENANT } from "./demo-config.js";

export const DEV_REGION = "us-east-1";

export interface NatsUserSecret {
  readonly user: string;
  readonly password: string;
}

export interface DevStack {
  readonly dir: string;
  readonly natsUrl: string;
  /** The CA of nats-server's certificate: NATS requires TLS, so bearer fields are not readable on the wire. */
  readonly natsCaFile: string;
  /** Carries the generated Redis password (show it with redactUrl only). */
  readonly redisUrl: string;
  readonly awsEndpoint: string;
  readonly workerLog: string;
  readonly configFile: string;
  readonly requester: NatsUserSecret & { readonly tenant: string; readonly principal: string };
  readonly awsLocal: AwsLocal;
  readonly vendor: RunningWorker;
  stop(): Promise<void>;
}

export interface DevStackOptions {
  /** Use this Redis instead of starting one. */
  readonly redisUrl?: string;
}

export async function startDevStack(options: DevStackOptions = {}): Promise<DevStack> {
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-dev-"));
  // The folder (the worker's log) goes with the stack: removed on stop, and at exit if stop never runs.
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  const unregisterDir = onProcessExit(removeDir);
  const cleanups: (() => Promise<void>)[] = [async () => {
    unregisterDir();
    removeDir();
  }];
  const stopAll = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };
  try {
    const vendorUser: NatsUserSecret = { user: "credvend-vendor", password: randomBytes(18).toString("base64url") };
    const requester = { user: DEMO_PRINCIPAL, password: randomBytes(18).toString("base64url"), tenant: DEMO_TENANT, principal: DEMO_PRINCIPAL };
    // The same generated authorization block an operator would deploy (credvend nats-config).
    const config = ConfigHolder.fromFile(DEMO_CONFIG_FILE);
    const nats = await startNatsServer({
      tls: true,
      config: natsAuthorization(config.current(), {
        vendor: vendorUser,
        identities: [{ tenant: requester.tenant, principal: requester.principal, user: requester.user, password: requester.password }],
        // nats-server gets bcrypt hashes, never the passwords themselves.
        hashSecrets: { env: {} },
      }),
    });
    cleanups.push(() => nats.stop());
    let redis: ServerHandle | undefined;
    // Even on one machine Redis wants a password: any local process could otherwise read and
    // write idempotency records and rate-limit state.
    const redisUrl = options.redisUrl ?? (redis = await startRedisServer({ password: randomBytes(18).toString("base64url") })).url;
    if (redis) cleanups.push(() => redis.stop());
    const awsLocal = await startAwsLocal({ port: 0, region: DEV_REGION, logger: () => undefined });
    cleanups.push(() => awsLocal.stop());

    const configFile = DEMO_CONFIG_FILE;
    const workerLog = path.join(dir, "vendor.log");
    const settings = settingsFromEnv({
      NATS_URL: nats.url,
      NATS_USER: vendorUser.user,
      NATS_PASSWORD: vendorUser.password,
      REDIS_URL: redisUrl,
      CREDVEND_CONFIG: configFile,
      AWS_REGION: DEV_REGION,
      // A free port, like every other server of the dev stack (the URL is printed).
      CREDVEND_HTTP_PORT: "0",
    });
    const logger = createLogger({ level: "info", destination: pino.destination({ dest: workerLog, sync: false, mkdir: true }) });
    const natsCaFile = nats.caFile;
    if (!natsCaFile) throw new Error("nats-server was started without TLS");
    const vendor = await runWorker(settings, { logger, awsCredentials: devCredentials("credvend-vendor"), awsEndpoint: awsLocal.endpoint, name: "credvend-dev-worker", config, natsCaFile, http: true });
    cleanups.push(() => vendor.stop());

    return {
      dir,
      natsUrl: nats.url,
      natsCaFile,
      redisUrl,
      awsEndpoint: awsLocal.endpoint,
      workerLog,
      configFile,
      requester,
      awsLocal,
      vendor,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
