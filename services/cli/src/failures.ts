// Operator-facing failures: one registry, like the wire error registry (packages/protocol/src/
// codes.ts). Each entry names the error class that raises it (settings, start-up, a refused
// config, a missing binary, a bad seed, …), the exit status and how the one stderr line reads.
// Classes are matched by their `name`, never by message text, so this module loads none of the
// packages that define them: `credvend --help` and `templates lint` stay fast.
// failures.test.ts keeps each `errorName` in step with the real class.
import { formatProblems, type Problem } from "@credvend/policy";
import { redactUrls } from "@credvend/protocol";

export interface OperatorFailure {
  /** Permanent; never renamed or reused. */
  readonly code: `CV_OP_${string}`;
  /** `name` of the error class that raises it. */
  readonly errorName: string;
  /** 2: a wrong command line; 126/127: exec's COMMAND can not run / does not exist; 1: anything else to fix. */
  readonly exit: 1 | 2 | 126 | 127;
  readonly meaning: string;
  /** The text after "credvend <command>: ". */
  line(error: Error & Record<string, unknown>, command: string): string;
}

const message = (error: Error): string => error.message.replace(/^Error: /, "");

const errorCount = (problems: readonly Problem[]): number => problems.filter((p) => p.severity === "error").length;

export const OPERATOR_FAILURES: readonly OperatorFailure[] = [
  { code: "CV_OP_USAGE", errorName: "UsageError", exit: 2, meaning: "The command line is wrong.", line: (e, command) => `${e.message} (see 'credvend ${command} --help')` },
  { code: "CV_OP_FAILED", errorName: "CliFailure", exit: 1, meaning: "A file, server or setting the command needs is missing or wrong.", line: message },
  { code: "CV_OP_SETTINGS", errorName: "SettingsError", exit: 1, meaning: "A worker setting (environment variable) is invalid.", line: message },
  { code: "CV_OP_WORKER_START", errorName: "WorkerStartError", exit: 1, meaning: "The worker could not start (no config, NATS or Redis unreachable).", line: message },
  {
    code: "CV_OP_CONFIG_REFUSED", errorName: "ConfigRefusedError", exit: 1, meaning: "The templates and access rules are invalid.",
    line: (e) => {
      const problems = (Array.isArray(e.problems) ? e.problems : []) as Problem[];
      return `config from ${String(e.source)} has ${errorCount(problems)} error(s):\n${formatProblems(problems)}`;
    },
  },
  { code: "CV_OP_KV_CONFIG_MISSING", errorName: "MissingKvConfigError", exit: 1, meaning: "The config KV bucket or its key does not exist.", line: message },
  { code: "CV_OP_BINARY_MISSING", errorName: "MissingBinaryError", exit: 1, meaning: "nats-server, redis-server or openssl (the dev stack's TLS certificates) is not installed.", line: message },
  { code: "CV_OP_SERVER_START", errorName: "ServerStartError", exit: 1, meaning: "nats-server or redis-server exited during start-up (its last words are kept).", line: message },
  { code: "CV_OP_SEED", errorName: "SeedError", exit: 1, meaning: "The aws-local seed file is invalid.", line: message },
  { code: "CV_OP_EXEC_NOT_FOUND", errorName: "CommandNotFound", exit: 127, meaning: "The command given to exec after '--' was not found.", line: message },
  { code: "CV_OP_EXEC_CANNOT_RUN", errorName: "CommandNotRunnable", exit: 126, meaning: "The command given to exec after '--' exists but can not be run.", line: message },
  {
    code: "CV_OP_REQUEST", errorName: "CredvendError", exit: 1, meaning: "The worker (or the client) refused the request; the code and reason say why.",
    line: (e) => `${String(e.code)} (${String(e.reason)})${e.field ? ` [${String(e.field)}]` : ""}: ${e.message}${e.retryAfterMs ? ` (retry after ${String(e.retryAfterMs)} ms)` : ""}`,
  },
];

const BY_NAME = new Map(OPERATOR_FAILURES.map((f) => [f.errorName, f]));

export function operatorFailure(error: unknown): OperatorFailure | undefined {
  return error instanceof Error ? BY_NAME.get(error.name) : undefined;
}

/** The one stderr line (URLs' passwords redacted) and the exit status for any failure of a command. */
export function describeFailure(command: string, error: unknown): { readonly text: string; readonly exit: number } {
  const known = operatorFailure(error);
  if (known) return { text: redactUrls(`credvend ${command}: ${known.line(error as Error & Record<string, unknown>, command)}`), exit: known.exit };
  const sys = error as (NodeJS.ErrnoException & { address?: string; port?: number }) | undefined;
  if (sys?.code === "EADDRINUSE") {
    return { text: `credvend ${command}: ${sys.address ?? ""}:${sys.port ?? ""} is already in use; stop what listens there or choose another --port`, exit: 1 };
  }
  if (typeof sys?.code === "string" && typeof sys.path === "string") {
    const what = sys.code === "ENOENT" ? "no such file" : sys.code === "EISDIR" ? "is a directory, not a file" : sys.message;
    return { text: `credvend ${command}: ${sys.path}: ${what}`, exit: 1 };
  }
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { text: redactUrls(`credvend ${command}: unexpected failure: ${text}`), exit: 1 };
}
