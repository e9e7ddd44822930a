import { KMSClient } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { DEV_ACCOUNT_ID, DEV_REPLY_KEY_ID, devCredentials } from "@credvend/aws-local";
import { CredvendClient } from "@credvend/client";
import { redactUrl } from "@credvend/protocol";
import { shownValue } from "@credvend/worker";
import { connect } from "nats";
import { fileURLToPath } from "node:url";
import { CliFailure, mask, parse, parseIntFlag, UsageError } from "../args.js";
import { DEMO_PARAMS, DEMO_TEMPLATE } from "../dev/demo-config.js";
import { devState, type DevState } from "../dev/dev-secret.js";
import { DEV_PORT_OFFSETS, DEV_REGION, DEV_VENDOR_USER, startDevStack, type DevStack } from "../dev/stack.js";
import { stopSignal } from "../stop-signal.js";

export const DEV_USAGE = `usage: credvend dev [--once] [--port-base N]

Starts the whole stack on this machine (nats-server with per-principal permissions, Redis or
REDIS_URL, aws-local with the dev seed, one worker), vends one demo credential end to end and
prints what happened, with the commands to request more and to see the workers (credvend status)
from another shell. Without --once it keeps serving until Ctrl-C; with --once it prints one
JSON object and exits.

  --port-base N   fixed ports: NATS on N, Redis on N+1, aws-local on N+2, the worker's health and
                  metrics on N+3 (default: free ports, different on every run)

DEV-ONLY secrets: the NATS and Redis passwords are derived from one secret made once per user in
$XDG_STATE_HOME/credvend/dev-secret (default ~/.local/state/credvend, mode 0600), so they stay the
same from run to run; the NATS CA of the current run is copied to dev-nats-ca.pem beside it. With
--port-base as well, the printed exports (and an AWS profile or script built on them) keep working
across runs. Remove the file to change the passwords.`;

/** The dev seed's reply key: the requester pins it. */
const DEV_REPLY_KEY_ARN = `arn:aws:kms:${DEV_REGION}:${DEV_ACCOUNT_ID}:key/${DEV_REPLY_KEY_ID}`;

interface DemoResult {
  readonly requestId: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  readonly arn: string;
  readonly callerArn: string;
  readonly ms: number;
}

async function vendDemo(stack: DevStack): Promise<DemoResult> {
  const { requester } = stack;
  const nc = await connect({ servers: stack.natsUrl, user: requester.user, pass: requester.password, name: "credvend-dev-demo", tls: { caFile: stack.natsCaFile } });
  const demoKeys = devCredentials(requester.principal);
  const kms = new KMSClient({ region: DEV_REGION, endpoint: stack.awsEndpoint, credentials: demoKeys });
  try {
    const started = Date.now();
    const client = new CredvendClient({ nc, tenant: requester.tenant, principal: requester.principal, kms, replyKeyArn: DEV_REPLY_KEY_ARN });
    const creds = await client.request({ template: DEMO_TEMPLATE, params: DEMO_PARAMS });
    const ms = Date.now() - started;
    // Prove the vended credentials work: ask STS who they are.
    const sts = new STSClient({ region: DEV_REGION, endpoint: stack.awsEndpoint, credentials: creds });
    const who = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    return { ...creds, callerArn: who.Arn ?? "", ms };
  } finally {
    kms.destroy();
    await nc.close();
  }
}

// This very command's entry point: the printed lines work from any directory, in this checkout or
// in an install from the tarball (never `npx credvend`, which outside the checkout would fetch
// whatever package of that name the registry has).
const BIN = fileURLToPath(new URL("../../bin/credvend.js", import.meta.url));

// Single-quoted so the lines paste into any POSIX shell whatever the generated values contain.
const q = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/** The exports every other shell needs: where NATS is and the CA it is signed with. */
function natsExports(stack: DevStack, caFile: string): string[] {
  return [
    `export NATS_URL=${q(stack.natsUrl)}`,
    `# NATS requires TLS; its certificate is signed by this throw-away CA (the same path on every run):`,
    `export NODE_EXTRA_CA_CERTS=${q(caFile)}`,
  ];
}

function requestCommands(stack: DevStack, caFile: string): string[] {
  const keys = devCredentials(stack.requester.principal);
  return [
    ...natsExports(stack, caFile),
    `export NATS_USER=${q(stack.requester.user)} NATS_PASSWORD=${q(stack.requester.password)}`,
    `export CREDVEND_TENANT=${q(stack.requester.tenant)} CREDVEND_PRINCIPAL=${q(stack.requester.principal)} CREDVEND_REPLY_KEY_ARN=${q(DEV_REPLY_KEY_ARN)}`,
    `# dev-only seed identity of '${stack.requester.principal}' in aws-local (never a real AWS key); the AWS CLI v1 reads AWS_DEFAULT_REGION:`,
    `export AWS_REGION=${q(DEV_REGION)} AWS_DEFAULT_REGION=${q(DEV_REGION)} AWS_ENDPOINT_URL=${q(stack.awsEndpoint)} AWS_ACCESS_KEY_ID=${q(keys.accessKeyId)} AWS_SECRET_ACCESS_KEY=${q(keys.secretAccessKey)}`,
    `node ${q(BIN)} request --template ${DEMO_TEMPLATE} --param bucket=${DEMO_PARAMS.bucket}`,
  ];
}

/** The same request from a shell with no AWS identity: the reply is sealed to a key of the request's own. */
function sealedRequestCommands(stack: DevStack, caFile: string): string[] {
  return [
    ...natsExports(stack, caFile),
    `export NATS_USER=${q(stack.requester.user)} NATS_PASSWORD=${q(stack.requester.password)}`,
    `# the fleet's sealing public key (not a secret), as the worker logs it:`,
    `export CREDVEND_TENANT=${q(stack.requester.tenant)} CREDVEND_PRINCIPAL=${q(stack.requester.principal)} CREDVEND_SEALING_PUBLIC_KEY=${q(stack.sealingPublicKey)}`,
    `node ${q(BIN)} request --template ${DEMO_TEMPLATE} --param bucket=${DEMO_PARAMS.bucket}`,
  ];
}

/** credvend status as the operator's NATS user (service discovery only, as nats-config --operator-user makes it). */
function statusCommands(stack: DevStack, caFile: string): string[] {
  return [
    ...natsExports(stack, caFile),
    `NATS_USER=${q(stack.operator.user)} NATS_PASSWORD=${q(stack.operator.password)} node ${q(BIN)} status`,
  ];
}

/** credvend audit tail as the auditor's NATS user (reads the audit stream only, as nats-config --auditor-user makes it). */
function auditCommands(stack: DevStack, caFile: string): string[] {
  return [
    ...natsExports(stack, caFile),
    `NATS_USER=${q(stack.auditor.user)} NATS_PASSWORD=${q(stack.auditor.password)} node ${q(BIN)} audit tail`,
  ];
}

function portBaseOf(value: string | undefined): number | undefined {
  const base = parseIntFlag("port-base", value, 65535 - DEV_PORT_OFFSETS.http);
  if (base === 0) throw new UsageError("--port-base 0 would mean free ports: leave --port-base out for those");
  return base;
}

export async function devCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { values } = parse(argv, { once: { type: "boolean", default: false }, "port-base": { type: "string" } });
  const portBase = portBaseOf(values["port-base"]);
  const redisUrl = process.env.REDIS_URL;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) throw new CliFailure(`REDIS_URL=${shownValue("REDIS_URL", redisUrl)}: must start with redis:// or rediss://`);
  // A missing nats-server/redis-server surfaces as MissingBinaryError, which says how to install it.
  // Listening before start-up: a stop asked for while the servers start still ends in a clean stop.
  const state: DevState = devState();
  const stop = stopSignal();
  let stack: DevStack;
  try {
    stack = await startDevStack({ state, ...(redisUrl ? { redisUrl } : {}), ...(portBase === undefined ? {} : { portBase }) });
  } catch (error) {
    stop.dispose();
    throw error;
  }
  try {
    const demo = await vendDemo(stack);
    const caFile = state.keepCaFile(stack.natsCaFile);
    const summary = {
      sealingPublicKey: stack.sealingPublicKey,
      endpoints: { nats: stack.natsUrl, natsTls: { caFile }, redis: redactUrl(stack.redisUrl), awsLocal: stack.awsEndpoint, health: stack.vendor.httpUrl },
      natsUsers: { requester: stack.requester.user, operator: stack.operator.user, auditor: stack.auditor.user, worker: DEV_VENDOR_USER },
      devSecret: state.secretFile,
      // The worker's log is in a folder removed when the stack stops, so --once names only the config.
      files: { config: stack.configFile },
      pipeline: stack.vendor.worker.pipeline,
      demoRequest: { tenant: stack.requester.tenant, principal: stack.requester.principal, template: DEMO_TEMPLATE, params: DEMO_PARAMS, requestId: demo.requestId },
      credentials: {
        accessKeyId: demo.accessKeyId,
        secretAccessKey: mask(demo.secretAccessKey),
        sessionToken: mask(demo.sessionToken),
        expiration: demo.expiration.toISOString(),
      },
      assumedRoleArn: demo.arn,
      callerIdentityArn: demo.callerArn,
      roundTripMs: demo.ms,
    };
    if (values.once) {
      out(JSON.stringify(summary, null, 2));
      return 0;
    }
    out("credvend dev stack is up (aws-local is a LOCAL EMULATOR with dev-only keys, not AWS)\n");
    out(`  NATS       ${stack.natsUrl}  (TLS required, CA ${caFile}; per-principal permissions, bcrypt-hashed passwords)`);
    out(`  Redis      ${redactUrl(stack.redisUrl)}${redisUrl ? "" : "  (password derived from the dev secret)"}`);
    out(`  aws-local  ${stack.awsEndpoint}`);
    out(`  worker     ${stack.vendor.worker.pipeline}`);
    out(`  health     ${stack.vendor.httpUrl ?? "off"}/readyz  (metrics: /metrics)`);
    out(`  config     ${stack.configFile}`);
    out(`  logs       ${stack.workerLog}  (removed when the stack stops)`);
    out(`  secret     ${state.secretFile}  (DEV-ONLY; every password is derived from it, so they stay the same across runs)\n`);
    out(`Vended one demo credential in ${demo.ms} ms:`);
    out(`  request    ${DEMO_TEMPLATE} bucket=${DEMO_PARAMS.bucket} as ${stack.requester.tenant}/${stack.requester.principal} (request ${demo.requestId})`);
    out(`  key id     ${demo.accessKeyId}`);
    out(`  secret     ${summary.credentials.secretAccessKey}`);
    out(`  expires    ${summary.credentials.expiration}`);
    out(`  role       ${demo.arn}`);
    out(`  STS says   ${demo.callerArn}\n`);
    out("Request more from another shell:");
    for (const line of requestCommands(stack, caFile)) out(`  ${line}`);
    out("\nOr with no AWS identity at all (sealed replies, which the example's access rule allows):");
    for (const line of sealedRequestCommands(stack, caFile)) out(`  ${line}`);
    out("\nSee the workers (as the operator's NATS user):");
    for (const line of statusCommands(stack, caFile)) out(`  ${line}`);
    out("\nRead the audit trail (as the auditor's NATS user; add --follow for new events):");
    for (const line of auditCommands(stack, caFile)) out(`  ${line}`);
    out("\nServing until Ctrl-C.");
    await stop.requested;
    out("stopping…");
    return 0;
  } finally {
    stop.dispose();
    await stack.stop();
  }
}
