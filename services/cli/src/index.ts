// The `credvend` command. Each command's module (and what it pulls in: the worker, the AWS SDK,
// NATS, Redis) loads only when that command runs, so `credvend --help` and `templates lint` start
// in a fraction of the time. Failures are mapped in one place: failures.ts.
import { readFileSync } from "node:fs";

const USAGE = `usage: credvend <command> [options]

commands:
  dev [--port-base N]     the whole stack on this machine, with a demo request (--once: JSON, exit)
  worker                  run a vendor worker (settings from the environment)
  request --template T    ask for credentials as a requester
  credential-process      credentials for an AWS profile's credential_process (cached)
  env --template T        credentials as shell 'export' lines (or json, powershell)
  exec ... -- CMD         run CMD with self-renewing credentials (container endpoint)
  serve --template T      a loopback container-credentials endpoint (sidecar)
  status                  every running worker's counters and live config version
  aws-local               the local STS + KMS emulator (dev and tests only)
  templates lint FILE     check a config file
  templates render FILE   dry run: the exact STS request a request would produce
  config push FILE        validate and publish a config to NATS KV
  config show             print the live config from NATS KV
  audit tail              the decisions workers recorded (no secrets), by tenant, principal, time
  nats-config FILE        print the nats-server authorization block for a config
  iam trust-policy        print the trust policy a template's role needs
  iam worker-policy FILE  print the IAM policy the worker's own identity needs for a config
  iam requester-policy    print the IAM policy a requester needs to open its replies
  revoke --template T     deny sessions already issued for a template (IAM inline deny)
  help [COMMAND]          this text, or a command's options (as COMMAND --help)
  --version               the version

Run 'credvend help <command>' (or 'credvend <command> --help') for a command's options.`;

type Command = (argv: readonly string[], out: (line: string) => void) => Promise<number>;

interface CommandModule {
  readonly run: Command;
  readonly usage: string;
}

const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  dev: async () => import("./commands/dev.js").then((m) => ({ run: m.devCommand, usage: m.DEV_USAGE })),
  worker: async () => import("./commands/worker.js").then((m) => ({ run: (argv) => m.workerCommand(argv), usage: m.WORKER_USAGE })),
  request: async () => import("./commands/request.js").then((m) => ({ run: m.requestCommand, usage: m.REQUEST_USAGE })),
  status: async () => import("./commands/status.js").then((m) => ({ run: m.statusCommand, usage: m.STATUS_USAGE })),
  templates: async () => import("./commands/templates.js").then((m) => ({ run: m.templatesCommand, usage: m.TEMPLATES_USAGE })),
  config: async () => import("./commands/config.js").then((m) => ({ run: m.configCommand, usage: m.CONFIG_USAGE })),
  "nats-config": async () => import("./commands/nats-config.js").then((m) => ({ run: m.natsConfigCommand, usage: m.NATS_CONFIG_USAGE })),
  iam: async () => import("./commands/iam.js").then((m) => ({ run: m.iamCommand, usage: m.IAM_USAGE })),
  "aws-local": async () => import("./commands/aws-local.js").then((m) => ({ run: m.awsLocalCommand, usage: m.AWS_LOCAL_USAGE })),
  revoke: async () => import("./commands/revoke.js").then((m) => ({ run: m.revokeCommand, usage: m.REVOKE_USAGE })),
  "credential-process": async () => import("./commands/credential-process.js").then((m) => ({ run: m.credentialProcessCommand, usage: m.CREDENTIAL_PROCESS_USAGE })),
  env: async () => import("./commands/env.js").then((m) => ({ run: m.envCommand, usage: m.ENV_USAGE })),
  exec: async () => import("./commands/exec.js").then((m) => ({ run: (argv) => m.execCommand(argv), usage: m.EXEC_USAGE })),
  serve: async () => import("./commands/serve.js").then((m) => ({ run: m.serveCommand, usage: m.SERVE_USAGE })),
  audit: async () => import("./commands/audit.js").then((m) => ({ run: m.auditCommand, usage: m.AUDIT_USAGE })),
};

export async function main(argv: readonly string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  const [first, ...afterFirst] = argv;
  // `credvend help`, `credvend help help` and `credvend help --help` print the usage.
  const helpFor = first === "help" && afterFirst.length > 0 && !["help", "--help", "-h"].includes(afterFirst[0] ?? "");
  if (!helpFor && (first === "help" || first === "--help" || first === "-h")) {
    out(USAGE);
    return 0;
  }
  // `credvend help COMMAND` is `credvend COMMAND --help`.
  const [name, ...rest]: readonly string[] = helpFor ? [afterFirst[0] ?? "", "--help"] : argv;
  if (name === "--version" || name === "-V" || name === "version") {
    out(`credvend ${version()}`);
    return 0;
  }
  // Usage asked for by mistake goes to stderr, so it never ends up in a file meant for output.
  if (!name) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    process.stderr.write(`${await unknownCommand(name)}\n`);
    return 2;
  }
  if (helpFor && afterFirst.length > 1) {
    process.stderr.write(`credvend help: takes one command, got ${afterFirst.length}; 'credvend help' lists the commands\n`);
    return 2;
  }
  try {
    const command = await load();
    // Words after '--' belong to the command `exec` runs, not to credvend.
    const own = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
    if (own.includes("--help") || own.includes("-h")) {
      out(command.usage);
      return 0;
    }
    return await command.run(rest, out);
  } catch (error) {
    const { reportFailure } = await import("./report-failure.js");
    return reportFailure(name, error);
  }
}

/** The line for a command that does not exist, with the nearest one when it is evidently a typo. */
async function unknownCommand(name: string): Promise<string> {
  // Loaded only here, so the usage and every valid command start without the policy package.
  const { didYouMean } = await import("@credvend/policy");
  const hint = didYouMean(name, Object.keys(COMMANDS));
  return `credvend: unknown command '${name}'${hint || "; 'credvend --help' lists the commands"}`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
