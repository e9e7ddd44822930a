// The `credvend` command.
import { SeedError } from "@credvend/aws-local";
import { CredvendError } from "@credvend/protocol";
import { MissingBinaryError, ServerStartError } from "@credvend/launcher";
import { SettingsError, WorkerStartError, ConfigRefusedError, MissingKvConfigError } from "@credvend/worker";
import { readFileSync } from "node:fs";
import { CliFailure, UsageError } from "./args.js";
import { requesterEnv } from "./cli-env.js";
import { natsFailure } from "./connect.js";
import { errorCount, formatProblems } from "./problems.js";
import { auditCommand, AUDIT_USAGE } from "./commands/audit.js";
import { awsLocalCommand, AWS_LOCAL_USAGE } from "./commands/aws-local.js";
import { configCommand, CONFIG_USAGE } from "./commands/config.js";
import { devCommand, DEV_USAGE } from "./commands/dev.js";
import { iamCommand, IAM_USAGE } from "./commands/iam.js";
import { natsConfigCommand, NATS_CONFIG_USAGE } from "./commands/nats-config.js";
import { requestCommand, REQUEST_USAGE } from "./commands/request.js";
import { statusCommand, STATUS_USAGE } from "./commands/status.js";
import { templatesCommand, TEMPLATES_USAGE } from "./commands/templates.js";
import { workerCommand, WORKER_USAGE } from "./commands/worker.js";

const USAGE = `usage: credvend <command> [options]

commands:
  dev [--once]            the whole stack on this machine, with a demo request
  worker                  run a vendor worker (settings from the environment)
  request --template T    ask for credentials as a requester
  status                  every running worker's counters and live config version
  aws-local               the local STS + KMS emulator (dev and tests only)
  templates lint FILE     check a config file
  templates render FILE   dry run: the exact STS request a request would produce
  config push FILE        validate and publish a config to NATS KV
  config show             print the live config from NATS KV
  audit tail              the decisions workers recorded (no secrets), by tenant, principal, time
  nats-config FILE        print the nats-server authorization block for a config
  iam trust-policy        print the trust policy a template's role needs
  help, --version         this text, the version

Run 'credvend <command> --help' for a command's options.`;

type Command = (argv: readonly string[], out: (line: string) => void) => Promise<number>;

const COMMANDS: Record<string, { readonly run: Command; readonly usage: string }> = {
  dev: { run: devCommand, usage: DEV_USAGE },
  worker: { run: (argv) => workerCommand(argv), usage: WORKER_USAGE },
  request: { run: requestCommand, usage: REQUEST_USAGE },
  status: { run: statusCommand, usage: STATUS_USAGE },
  templates: { run: templatesCommand, usage: TEMPLATES_USAGE },
  config: { run: configCommand, usage: CONFIG_USAGE },
  "nats-config": { run: natsConfigCommand, usage: NATS_CONFIG_USAGE },
  iam: { run: iamCommand, usage: IAM_USAGE },
  "aws-local": { run: awsLocalCommand, usage: AWS_LOCAL_USAGE },
  audit: { run: auditCommand, usage: AUDIT_USAGE },
};

export async function main(argv: readonly string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "help" || name === "--help" || name === "-h") {
    out(USAGE);
    return 0;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    out(`credvend ${version()}`);
    return 0;
  }
  // Usage asked for by mistake goes to stderr, so it never ends up in a file meant for output.
  if (!name) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`credvend: unknown command '${name}'; 'credvend --help' lists the commands\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest, out);
  } catch (error) {
    return reportFailure(name, error);
  }
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

/** One line on stderr that says what to fix; 2 for a wrong command line, 1 for everything else. */
function reportFailure(command: string, error: unknown): number {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  if (error instanceof UsageError) {
    err(`credvend ${command}: ${error.message} (see 'credvend ${command} --help')`);
    return 2;
  }
  if (error instanceof CredvendError) {
    err(`credvend ${command}: ${error.code} (${error.reason})${error.field ? ` [${error.field}]` : ""}: ${error.message}${error.retryAfterMs ? ` (retry after ${error.retryAfterMs} ms)` : ""}`);
    return 1;
  }
  if (error instanceof ConfigRefusedError) {
    err(`credvend ${command}: config from ${error.source} has ${errorCount(error.problems)} error(s):\n${formatProblems(error.problems)}`);
    return 1;
  }
  if (error instanceof ServerStartError) {
    // The server's own last words say why (a port in use, a bad config): keep them.
    err(`credvend ${command}: ${error.message}`);
    return 1;
  }
  if (
    error instanceof CliFailure || error instanceof SettingsError || error instanceof WorkerStartError ||
    error instanceof MissingKvConfigError || error instanceof MissingBinaryError ||
    error instanceof SeedError
  ) {
    err(`credvend ${command}: ${error.message.replace(/^Error: /, "")}`);
    return 1;
  }
  const nats = natsFailure(error, requesterEnv());
  if (nats instanceof CliFailure) {
    err(`credvend ${command}: ${nats.message}`);
    return 1;
  }
  const fsError = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (fsError?.code === "EADDRINUSE") {
    err(`credvend ${command}: ${fsError.address ?? ""}:${fsError.port ?? ""} is already in use; stop what listens there or choose another --port`);
    return 1;
  }
  if (typeof fsError?.code === "string" && typeof fsError.path === "string") {
    err(`credvend ${command}: ${fsError.path}: ${fsError.code === "ENOENT" ? "no such file" : fsError.code === "EISDIR" ? "is a directory, not a file" : fsError.message}`);
    return 1;
  }
  err(`credvend ${command}: unexpected failure: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  return 1;
}
