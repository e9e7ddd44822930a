import { KMSClient } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { DEV_ACCOUNT_ID, DEV_REPLY_KEY_ID, devCredentials } from "@credvend/aws-local";
import { CredvendClient } from "@credvend/client";
import { redactUrl } from "@credvend/protocol";
import { shownValue } from "@credvend/worker";
import { connect } from "nats";
import { fileURLToPath } from "node:url";
import { CliFailure, mask, parse } from "../args.js";
import { DEMO_PARAMS, DEMO_TEMPLATE } from "../dev/demo-config.js";
import { DEV_REGION, startDevStack, type DevStack } from "../dev/stack.js";
import { stopSignal } from "../stop-signal.js";

export const DEV_USAGE = `usage: credvend dev [--once]

Starts the whole stack on this machine (nats-server with per-principal permissions, Redis or
REDIS_URL, aws-local with the dev seed, one worker), vends one demo credential end to end and
prints what happened. Without --once it keeps serving until Ctrl-C; with --once it prints one
JSON object and exits.`;

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

function requestCommands(stack: DevStack): string[] {
  const keys = devCredentials(stack.requester.principal);
  return [
    `export NATS_URL=${q(stack.natsUrl)} NATS_USER=${q(stack.requester.user)} NATS_PASSWORD=${q(stack.requester.password)}`,
    `# NATS requires TLS; its certificate is signed by this throw-away CA:`,
    `export NODE_EXTRA_CA_CERTS=${q(stack.natsCaFile)}`,
    `export CREDVEND_TENANT=${q(stack.requester.tenant)} CREDVEND_PRINCIPAL=${q(stack.requester.principal)} CREDVEND_REPLY_KEY_ARN=${q(DEV_REPLY_KEY_ARN)}`,
    `# dev-only seed identity of '${stack.requester.principal}' in aws-local (never a real AWS key):`,
    `export AWS_REGION=${q(DEV_REGION)} AWS_ENDPOINT_URL=${q(stack.awsEndpoint)} AWS_ACCESS_KEY_ID=${q(keys.accessKeyId)} AWS_SECRET_ACCESS_KEY=${q(keys.secretAccessKey)}`,
    `node ${q(BIN)} request --template ${DEMO_TEMPLATE} --param bucket=${DEMO_PARAMS.bucket}`,
  ];
}

export async function devCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { values } = parse(argv, { once: { type: "boolean", default: false } });
  const redisUrl = process.env.REDIS_URL;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) throw new CliFailure(`REDIS_URL=${shownValue("REDIS_URL", redisUrl)}: must start with redis:// or rediss://`);
  // A missing nats-server/redis-server surfaces as MissingBinaryError, which says how to install it.
  // Listening before start-up: a stop asked for while the servers start still ends in a clean stop.
  const stop = stopSignal();
  let stack: DevStack;
  try {
    stack = await startDevStack(redisUrl ? { redisUrl } : {});
  } catch (error) {
    stop.dispose();
    throw error;
  }
  try {
    const demo = await vendDemo(stack);
    const summary = {
      endpoints: { nats: stack.natsUrl, natsTls: { caFile: stack.natsCaFile }, redis: redactUrl(stack.redisUrl), awsLocal: stack.awsEndpoint },
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
    out(`  NATS       ${stack.natsUrl}  (TLS required, CA ${stack.natsCaFile}; per-principal permissions, bcrypt-hashed passwords)`);
    out(`  Redis      ${redactUrl(stack.redisUrl)}${redisUrl ? "" : "  (password generated)"}`);
    out(`  aws-local  ${stack.awsEndpoint}`);
    out(`  worker     ${stack.vendor.worker.pipeline}`);
    out(`  health     ${stack.vendor.httpUrl ?? "off"}/readyz  (metrics: /metrics)`);
    out(`  config     ${stack.configFile}`);
    out(`  logs       ${stack.workerLog}  (removed when the stack stops)\n`);
    out(`Vended one demo credential in ${demo.ms} ms:`);
    out(`  request    ${DEMO_TEMPLATE} bucket=${DEMO_PARAMS.bucket} as ${stack.requester.tenant}/${stack.requester.principal} (request ${demo.requestId})`);
    out(`  key id     ${demo.accessKeyId}`);
    out(`  secret     ${summary.credentials.secretAccessKey}`);
    out(`  expires    ${summary.credentials.expiration}`);
    out(`  role       ${demo.arn}`);
    out(`  STS says   ${demo.callerArn}\n`);
    out("Request more from another shell:");
    for (const line of requestCommands(stack)) out(`  ${line}`);
    out("\nServing until Ctrl-C.");
    await stop.requested;
    out("stopping…");
    return 0;
  } finally {
    stop.dispose();
    await stack.stop();
  }
}
