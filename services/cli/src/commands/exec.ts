import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { constants as os } from "node:os";
import { CommandNotFound, CommandNotRunnable, parse, UsageError } from "../args.js";
import { requesterEnv } from "../cli-env.js";
import { cacheDirFromEnv } from "../requester/cache/dir.js";
import { childEnv, refuseWinningDefaultProfile } from "../requester/child-env.js";
import { startContainerEndpoint } from "../requester/container-endpoint.js";
import { CredentialSource } from "../requester/credential-source.js";
import { RefreshingCredentials } from "../requester/refreshing.js";
import { shownError } from "../requester/shown-error.js";
import { REQUESTER_ENV_USAGE, requester, SPEC_OPTIONS, SPEC_USAGE, vendSpec } from "../requester/spec.js";

export const EXEC_USAGE = `usage: credvend exec --template T [--param k=v]... [options] -- COMMAND [ARGS...]

Runs COMMAND with AWS credentials that renew themselves: credvend serves them on a loopback
container-credentials endpoint for as long as COMMAND runs, and gives COMMAND
AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN (a new random token
per run). Every AWS SDK and the AWS CLI read them and fetch new credentials before the old ones
expire, so a job may outlive any one credential. COMMAND's environment is credvend's, without
AWS keys, profiles or other credential settings that would take precedence over the endpoint,
and without NATS_PASSWORD and CREDVEND_AWS_* (the requester's own secrets). A "default" profile
with credentials in the AWS config files would still win over the endpoint: exec refuses to
start while there is one (move it to a named profile). Signals credvend
receives (INT, TERM, HUP, QUIT, USR1, USR2) go to COMMAND; credvend exits as COMMAND did (its
code, or the same signal); 127 if COMMAND is not found, 126 if it can not be run.

${SPEC_USAGE}

${REQUESTER_ENV_USAGE}`;

const FORWARDED: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];

export async function execCommand(argv: readonly string[]): Promise<number> {
  const split = argv.indexOf("--");
  if (split < 0 || split === argv.length - 1) throw new UsageError("give the command to run after '--', e.g. credvend exec --template etl -- node job.js");
  const { values } = parse(argv.slice(0, split), SPEC_OPTIONS);
  const [command, ...args] = argv.slice(split + 1) as [string, ...string[]];
  const spec = vendSpec(values);
  const env = childEnv(process.env, { url: "", token: "" });
  await refuseWinningDefaultProfile(env);
  const source = new CredentialSource(spec, requester(requesterEnv()), { cacheDir: cacheDirFromEnv() });
  const credentials = new RefreshingCredentials(source, spec.refreshMarginMs, (error) => {
    process.stderr.write(`credvend exec: renewing credentials failed (will retry): ${shownError(error)}\n`);
  });
  const token = randomBytes(32).toString("base64url");
  let endpoint;
  try {
    // The first credentials before the command starts: a refusal fails here, not inside the job.
    await credentials.credentials();
    endpoint = await startContainerEndpoint({ host: "127.0.0.1", port: 0, token, credentials });
  } catch (error) {
    credentials.stop();
    source.close();
    throw error;
  }
  let ended: ChildEnd;
  try {
    ended = await runChild(command, args, childEnv(process.env, { url: endpoint.url, token }));
  } finally {
    credentials.stop();
    await endpoint.close();
    source.close();
  }
  if (ended.signal) {
    // Die of the same signal, so whoever waits for credvend sees what the command died of.
    process.kill(process.pid, ended.signal);
    return 128 + (os.signals[ended.signal] ?? 0);
  }
  return ended.code ?? 1;
}

interface ChildEnd {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Runs the child to its end, passing on the signals credvend receives. */
async function runChild(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ChildEnd> {
  const child = spawn(command, args, { stdio: "inherit", env });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    return await new Promise<ChildEnd>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (c, s) => resolve({ code: c, signal: s }));
    }).catch((error: NodeJS.ErrnoException) => {
      throw error.code === "ENOENT" ? new CommandNotFound(`${command}: command not found`) : new CommandNotRunnable(`cannot run ${command}: ${error.code === "EACCES" ? "permission denied (is it executable? chmod +x)" : error.message}`);
    });
  } finally {
    for (const s of FORWARDED) process.removeListener(s, forward);
  }
}
