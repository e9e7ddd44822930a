// One vendor stack per test file: its own nats-server (so no other file's worker joins the
// queue group), its own aws-local, the shared Redis (keys are isolated by unique tenant names).
import { KMSClient } from "@aws-sdk/client-kms";
import { DEV_ACCOUNT_ID, DEV_REPLY_KEY_ID, devCredentials, startAwsLocal, type AwsLocal, type Seed } from "@credvend/aws-local";
import { CredvendClient } from "@credvend/client";
import { redisUrl as sharedRedisUrl, startNatsServer } from "@credvend/testkit";
import { createLogger, runWorker, settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { connect, type NatsConnection } from "nats";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { testPeerKeyFile } from "./peer-key.js";

export const REGION = "us-east-1";
/** The dev seed's reply key, as clients pin it. */
export const REPLY_KEY_ARN = `arn:aws:kms:${REGION}:${DEV_ACCOUNT_ID}:key/${DEV_REPLY_KEY_ID}`;

export interface Harness {
  readonly natsUrl: string;
  readonly redisUrl: string;
  readonly awsLocal: AwsLocal;
  readonly vendor: RunningWorker;
  readonly configFile: string;
  /** An unauthenticated connection (the test server has no auth unless natsConfig is given). */
  readonly nc: NatsConnection;
  /** A client for (tenant, principal); KMS runs as the aws-local IAM user of the same name as `kmsUser`. */
  client(tenant: string, principal: string, options?: { kmsUser?: string; timeoutMs?: number; attempts?: number; nc?: NatsConnection }): CredvendClient;
  kmsFor(user: string): KMSClient;
  stop(): Promise<void>;
}

/**
 * What a `credvend` requester command (request, exec, serve, ...) needs to vend as `tenant`/demo-app
 * on this harness with KMS-sealed replies: NATS, the names, the reply key, demo-app's dev-only
 * aws-local keys to open replies, aws-local and a cache folder of its own.
 */
export function kmsRequesterEnv(h: Pick<Harness, "natsUrl" | "awsLocal">, tenant: string, cacheDir: string): Record<string, string> {
  const keys = devCredentials("demo-app");
  return {
    NATS_URL: h.natsUrl,
    CREDVEND_TENANT: tenant,
    CREDVEND_PRINCIPAL: "demo-app",
    CREDVEND_REPLY_KEY_ARN: REPLY_KEY_ARN,
    CREDVEND_AWS_ACCESS_KEY_ID: keys.accessKeyId,
    CREDVEND_AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
    CREDVEND_CACHE_DIR: cacheDir,
    AWS_ENDPOINT_URL: h.awsLocal.endpoint,
    AWS_REGION: REGION,
  };
}

export interface HarnessOptions {
  readonly config: string;
  readonly redisUrl?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly natsConfig?: string;
  readonly vendorNats?: { readonly user: string; readonly password: string };
  /** Collect every vendor log line here (at the level of CREDVEND_LOG_LEVEL in env, e.g. trace). */
  readonly logLines?: string[];
  /** aws-local's seed (default: the built-in dev seed). */
  readonly seed?: Seed;
  /** aws-local's SigV4 clock tolerance (default 300 s; AWS's own is 15 minutes). */
  readonly clockSkewSeconds?: number;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-test-"));
  const configFile = path.join(dir, "credvend.yaml");
  writeFileSync(configFile, options.config);
  const nats = await startNatsServer(options.natsConfig ? { config: options.natsConfig } : {});
  const redisUrl = options.redisUrl ?? (await sharedRedisUrl());
  const awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined, ...(options.seed ? { seed: options.seed } : {}), ...(options.clockSkewSeconds ? { clockSkewSeconds: options.clockSkewSeconds } : {}) });
  const settings = settingsFromEnv({
    NATS_URL: nats.url,
    REDIS_URL: redisUrl,
    CREDVEND_CONFIG: configFile,
    AWS_REGION: REGION,
    CREDVEND_LOG_LEVEL: process.env.CREDVEND_TEST_LOG_LEVEL ?? "silent",
    CREDVEND_PEER_KEY_FILE: testPeerKeyFile(),
    ...(options.vendorNats ? { NATS_USER: options.vendorNats.user, NATS_PASSWORD: options.vendorNats.password } : {}),
    ...options.env,
  });
  const lines = options.logLines;
  const destination = lines ? new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } }) : process.stderr;
  // A worker that refuses to start (e.g. a config lint error) must not leave the servers running:
  // they would keep the test process alive after its failure.
  const vendor = await runWorker(settings, {
    logger: createLogger({ level: settings.logLevel, destination }),
    awsCredentials: devCredentials("credvend-vendor"),
    awsEndpoint: awsLocal.endpoint,
  }).catch(async (error: unknown) => {
    await awsLocal.stop();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const nc = options.natsConfig ? vendor.nc : await connect({ servers: nats.url, name: "test-requester" });
  const kmsClients: KMSClient[] = [];
  const kmsFor = (user: string) => {
    const kms = new KMSClient({ region: REGION, endpoint: awsLocal.endpoint, credentials: devCredentials(user) });
    kmsClients.push(kms);
    return kms;
  };
  return {
    natsUrl: nats.url,
    redisUrl,
    awsLocal,
    vendor,
    configFile,
    nc,
    kmsFor,
    client(tenant, principal, o = {}) {
      return new CredvendClient({
        nc: o.nc ?? nc,
        tenant,
        principal,
        kms: kmsFor(o.kmsUser ?? principal),
        replyKeyArn: REPLY_KEY_ARN,
        ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
        ...(o.attempts ? { attempts: o.attempts } : {}),
      });
    },
    async stop() {
      for (const k of kmsClients) k.destroy();
      await vendor.stop();
      if (nc !== vendor.nc) await nc.close();
      await awsLocal.stop();
      await nats.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
