// The aws-local HTTP server. Each request goes through one ordered path:
//   admin path? -> read body (bounded) -> KMS (X-Amz-Target) or STS (form/query) endpoint -> reply
// Every reply carries x-amzn-requestid and Date; no request can crash the process or hang.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdminClient, type AdminClient } from "./admin/client.js";
import { createAdminGuard, isLoopbackBindAddress, MIN_ADMIN_TOKEN_LENGTH, newAdminToken } from "./admin/guard.js";
import { ADMIN_PREFIX, handleAdmin } from "./admin/routes.js";
import { createAuthenticator } from "./core/authenticate.js";
import { createCallCounts } from "./core/call-counts.js";
import { createMovableClock } from "./core/clock.js";
import { createFaults, validateFaultConfig, type FaultConfig } from "./core/faults.js";
import { DEFAULT_BODY_LIMIT_BYTES, flatHeaders, readBody, writeReply, type Reply } from "./core/http.js";
import { handleIam, IAM_SIGNING_REGION, iamError, signingScope } from "./core/iam-endpoint.js";
import { handleKms, kmsError } from "./core/kms-endpoint.js";
import type { IncomingCall, Runtime } from "./core/runtime.js";
import { currentRequestScope, runInRequestScope } from "./core/request-scope.js";
import { createSessionStore, DEFAULT_MAX_SESSIONS } from "./core/sessions.js";
import { handleSts, stsError } from "./core/sts-endpoint.js";
import { createMfaReplayGuard } from "./sts/common.js";
import { buildWorld } from "./core/world.js";
import { DEV_SEED } from "./dev-seed.js";
import { evaluatePolicies } from "./iam/evaluate.js";
import { createRolePolicyStore } from "./iam/role-policies.js";
import { createKmsService } from "./kms/service.js";
import { loadSeedFile, validateSeed } from "./seed/load.js";
import { seedPrincipalDirectory } from "./seed/principals.js";
import type { Seed, SeedInput } from "./seed/schema.js";
import { AwsError, type PolicyRequest } from "./types.js";

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_REGION = "us-east-1";
export const DEFAULT_CLOCK_SKEW_SECONDS = 300;

export interface AwsLocalOptions {
  /** TCP port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Bind address; 127.0.0.1 by default. Any other than loopback warns loudly on stderr. */
  readonly host?: string;
  /**
   * The admin path's token (at least 32 characters). Default: a fresh random one per start, in
   * `AwsLocal.adminToken`. Never logged.
   */
  readonly adminToken?: string;
  /** A seed object, a YAML file path, or undefined for the built-in dev seed. */
  readonly seed?: SeedInput | Seed | string;
  readonly region?: string;
  /** Allowed distance between a request's signing time and now (default 300). */
  readonly clockSkewSeconds?: number;
  readonly faults?: FaultConfig;
  /** One line per event (start-up, internal errors). Default: stderr. Never receives secrets. */
  readonly logger?: (line: string) => void;
  /** Largest accepted request body (default 1 MiB). */
  readonly bodyLimitBytes?: number;
  /** Issued sessions kept in memory before the oldest are dropped (default 50,000). */
  readonly maxSessions?: number;
}

export interface AwsLocal {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  /** The admin path's token for this start (secret: give it only to local tools). */
  readonly adminToken: string;
  /** The admin client, already holding the token. */
  readonly admin: AdminClient;
  stop(): Promise<void>;
}

export async function startAwsLocal(options: AwsLocalOptions = {}): Promise<AwsLocal> {
  const region = options.region ?? DEFAULT_REGION;
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new Error(`region "${region}" does not look like an AWS region (e.g. us-east-1)`);
  const clockSkewSeconds = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  if (!(clockSkewSeconds > 0 && clockSkewSeconds <= 86400)) throw new Error(`clockSkewSeconds must be in 1..86400 (got ${clockSkewSeconds})`);
  const seed = resolveSeed(options.seed);
  const log = options.logger ?? ((line: string) => process.stderr.write(`${line}\n`));
  const adminToken = options.adminToken ?? newAdminToken();
  if (adminToken.length < MIN_ADMIN_TOKEN_LENGTH) throw new Error(`adminToken must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters`);
  const world = buildWorld(seed);
  const clock = createMovableClock();
  const wallNow = Date.now;
  const sessions = createSessionStore(clock, options.maxSessions ?? DEFAULT_MAX_SESSIONS);
  const rolePolicies = createRolePolicyStore(world);
  const faults = createFaults(wallNow);
  // Every evaluation sees the request time on the emulated clock (aws:CurrentTime, aws:EpochTime)
  // and the region the request went to (aws:RequestedRegion): this endpoint's, or IAM's us-east-1.
  const evaluateIn =
    (requestedRegion: string): typeof evaluatePolicies =>
    (policies, request, opts) =>
      evaluatePolicies(policies, withSourceIp({ ...request, nowMs: clock.now(), requestedRegion }), opts);
  const evaluate = evaluateIn(region);
  if (options.faults !== undefined) faults.set(validateFaultConfig(options.faults));
  const rt: Runtime = {
    world,
    region,
    clock,
    wallNow,
    sessions,
    authenticate: createAuthenticator({ world, sessions, clock, wallNow, clockSkewSeconds, rolePolicies, region }),
    faults,
    counts: createCallCounts(),
    kms: createKmsService({ keys: [seed, ...seed.accounts].map((a) => ({ accountId: a.account_id, keys: a.kms_keys })), region, clock, evaluate, principals: seedPrincipalDirectory(seed) }),
    sts: { world, sessions, clock, evaluate, mfaReplay: createMfaReplayGuard() },
    iam: { world, rolePolicies, evaluate: evaluateIn(IAM_SIGNING_REGION), startedAtMs: clock.now() },
    bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    log,
    adminGuard: createAdminGuard(adminToken),
  };

  const server = createServer({ keepAliveTimeout: 5_000, requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    runInRequestScope(req.socket.remoteAddress, () => handleRequest(rt, req, res)).catch((err: unknown) => {
      log(`aws-local: request failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) res.destroy();
    });
  });
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    else socket.destroy();
  });
  const host = options.host ?? DEFAULT_HOST;
  const port = await listen(server, options.port ?? 0, host);
  if (!isLoopbackBindAddress(host)) {
    // On stderr whatever the logger: other machines can now reach dev-only keys and the emulator.
    process.stderr.write(
      `\n*** WARNING: aws-local is listening on ${host}:${port}, reachable from other machines. It is a LOCAL EMULATOR with\n` +
        "*** PUBLIC DEV-ONLY keys: anyone who can reach this port can get credentials from it. Bind 127.0.0.1 unless\n" +
        "*** this is an isolated container network. (The admin path still needs the token and a loopback Host.)\n\n",
    );
  }
  const endpoint = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  log(
    `aws-local: LOCAL EMULATOR of AWS STS + KMS + IAM (not AWS) listening on ${endpoint}, region ${region}, account ${seed.account_id}` +
      `${options.seed === undefined ? " (built-in DEV-ONLY seed)" : ""}`,
  );
  return {
    endpoint,
    port,
    region,
    accountId: seed.account_id,
    adminToken,
    admin: createAdminClient(endpoint, adminToken),
    stop: () => close(server),
  };
}

/** aws:SourceIp of the HTTP request being served (absent outside one, e.g. in unit tests). */
function withSourceIp(request: PolicyRequest): PolicyRequest {
  const sourceIp = currentRequestScope()?.sourceIp;
  return sourceIp === undefined ? request : { ...request, sourceIp };
}

function resolveSeed(seed: AwsLocalOptions["seed"]): Seed {
  if (seed === undefined) return DEV_SEED;
  if (typeof seed === "string") return loadSeedFile(seed);
  return validateSeed(seed, "seed option");
}

async function handleRequest(rt: Runtime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? "" : url.slice(q + 1);
  const headers = flatHeaders(req);
  const isKms = headers["x-amz-target"] !== undefined;
  // IAM and STS share awsQuery at "/"; as on AWS (different hosts) the signature's scope tells them apart.
  const isIam = !isKms && signingScope(headers, rawQuery)?.service === "iam";
  const fail = (error: AwsError): Reply => (isKms ? kmsError(error) : isIam ? iamError(error, requestId) : stsError(error, requestId));

  const body = await readBody(req, rt.bodyLimitBytes);
  if (!body.ok) {
    const error = new AwsError(
      isKms ? "RequestEntityTooLargeException" : "RequestEntityTooLarge",
      `Request body of ${body.bytes} bytes exceeds the ${rt.bodyLimitBytes}-byte limit.`,
      413,
    );
    writeReply(res, fail(error), requestId, true);
    return;
  }
  const call: IncomingCall = { method: req.method ?? "GET", rawPath, rawQuery, headers, body: body.body };
  let reply: Reply;
  if (rawPath.startsWith(ADMIN_PREFIX)) {
    reply = handleAdmin(rt, call);
  } else if (rawPath !== "/") {
    reply = fail(new AwsError(isKms ? "UnknownOperationException" : "InvalidAction", `aws-local serves STS, IAM and KMS at "/", not "${rawPath.slice(0, 100)}".`, 404));
  } else if (call.method !== "POST" && !(call.method === "GET" && !isKms)) {
    reply = fail(new AwsError(isKms ? "UnknownOperationException" : "InvalidAction", `Method ${call.method} is not supported; use POST.`, 405));
  } else {
    reply = isKms ? await handleKms(rt, call) : isIam ? await handleIam(rt, rt.iam, call, requestId) : await handleSts(rt, call, requestId);
  }
  writeReply(res, reply, requestId);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}
