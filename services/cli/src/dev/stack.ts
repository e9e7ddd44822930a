// The whole stack on one machine: nats-server with generated per-principal permissions, Redis,
// aws-local with the dev seed, one worker, and a demo requester identity.
import { devCredentials, startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { natsAuthorization, natsUserName } from "@credvend/policy";
import { onProcessExit, startNatsServer, startRedisServer, type ServerHandle } from "@credvend/launcher";
import { ConfigHolder, createLogger, runWorker, settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import { DEMO_CONFIG_FILE, DEMO_PRINCIPAL, DEMO_TENANT } from "./demo-config.js";
import type { DevState } from "./dev-secret.js";

export const DEV_REGION = "us-east-1";

/** The raw 32-byte public half of an X25519 private key (PEM), base64: what workers log and requesters pin. */
function rawPublicKeyBase64(pem: string): string {
  const jwk = createPublicKey(createPrivateKey(pem)).export({ format: "jwk" });
  return Buffer.from(jwk.x ?? "", "base64url").toString("base64");
}

/** With a port base N: NATS on N, Redis on N+1, aws-local on N+2, the worker's health and metrics on N+3. */
export const DEV_PORT_OFFSETS = { nats: 0, redis: 1, awsLocal: 2, http: 3 } as const;
export const DEV_VENDOR_USER = "credvend-vendor";
export const DEV_OPERATOR_USER = "credvend-operator";
export const DEV_AUDITOR_USER = "credvend-auditor";

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
  /** The sealing key's public half (base64), which requesters of sealed replies pin. */
  readonly sealingPublicKey: string;
  readonly requester: NatsUserSecret & { readonly tenant: string; readonly principal: string };
  /** The operator's NATS user: credvend status (service discovery) and revoke's worker notices only. */
  readonly operator: NatsUserSecret;
  /** The auditor's NATS user: credvend audit tail (reads the audit stream) only. */
  readonly auditor: NatsUserSecret;
  readonly awsLocal: AwsLocal;
  readonly vendor: RunningWorker;
  stop(): Promise<void>;
}

export interface DevStackOptions {
  /** Use this Redis instead of starting one. */
  readonly redisUrl?: string;
  /** Fixed ports from here (DEV_PORT_OFFSETS); default: free ones. */
  readonly portBase?: number;
  /** Where the passwords come from: the same on every run of this user. */
  readonly state: DevState;
}

export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const { state, portBase } = options;
  const port = (server: keyof typeof DEV_PORT_OFFSETS): number | undefined => (portBase === undefined ? undefined : portBase + DEV_PORT_OFFSETS[server]);
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
    const vendorUser: NatsUserSecret = { user: DEV_VENDOR_USER, password: state.password(`nats:${DEV_VENDOR_USER}`) };
    const operator: NatsUserSecret = { user: DEV_OPERATOR_USER, password: state.password(`nats:${DEV_OPERATOR_USER}`) };
    const auditor: NatsUserSecret = { user: DEV_AUDITOR_USER, password: state.password(`nats:${DEV_AUDITOR_USER}`) };
    // The user name nats-config would give this identity, so what the dev stack prints is what a deployment uses.
    const requesterUser = natsUserName(DEMO_TENANT, DEMO_PRINCIPAL);
    const requester = { user: requesterUser, password: state.password(`nats:${requesterUser}`), tenant: DEMO_TENANT, principal: DEMO_PRINCIPAL };
    // The same generated authorization block an operator would deploy (credvend nats-config).
    const config = ConfigHolder.fromFile(DEMO_CONFIG_FILE);
    const nats = await startNatsServer({
      tls: true,
      ...(port("nats") === undefined ? {} : { port: port("nats") }),
      config: natsAuthorization(config.current(), {
        vendor: vendorUser,
        operator,
        auditor,
        identities: [{ tenant: requester.tenant, principal: requester.principal, password: requester.password }],
        // nats-server gets bcrypt hashes, never the passwords themselves.
        hashSecrets: { env: {} },
      }),
    });
    cleanups.push(() => nats.stop());
    let redis: ServerHandle | undefined;
    // Even on one machine Redis wants a password: any local process could otherwise read and
    // write idempotency records and rate-limit state.
    const redisUrl = options.redisUrl ?? (redis = await startRedisServer({ password: state.password("redis"), ...(port("redis") === undefined ? {} : { port: port("redis") }) })).url;
    if (redis) cleanups.push(() => redis.stop());
    const awsLocal = await startAwsLocal({ port: port("awsLocal") ?? 0, region: DEV_REGION, logger: () => undefined });
    cleanups.push(() => awsLocal.stop());

    const configFile = DEMO_CONFIG_FILE;
    const workerLog = path.join(dir, "vendor.log");
    // Sealed replies (for requesters with no AWS identity) need the fleet's sealing key.
    const sealingKeyFile = path.join(dir, "sealing-key.pem");
    writeFileSync(sealingKeyFile, state.sealingKeyPem(), { mode: 0o600 });
    // The fleet's peer key: a second worker started against this stack with the same file shares
    // reused sessions and data keys with this one.
    const peerKeyFile = path.join(dir, "peer.key");
    writeFileSync(peerKeyFile, `${state.password("peer-key")}\n`, { mode: 0o600 });
    const settings = settingsFromEnv({
      NATS_URL: nats.url,
      NATS_USER: vendorUser.user,
      NATS_PASSWORD: vendorUser.password,
      REDIS_URL: redisUrl,
      CREDVEND_CONFIG: configFile,
      AWS_REGION: DEV_REGION,
      // A free port like every other server of the dev stack, or the port base's (the URL is printed).
      CREDVEND_HTTP_PORT: String(port("http") ?? 0),
      CREDVEND_SEALING_KEY_FILE: sealingKeyFile,
      CREDVEND_PEER_KEY_FILE: peerKeyFile,
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
      sealingPublicKey: rawPublicKeyBase64(state.sealingKeyPem()),
      requester,
      operator,
      auditor,
      awsLocal,
      vendor,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
