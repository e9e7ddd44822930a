// Runs the real `credvend` command in a child process (asynchronously, so an in-process vendor
// can serve it meanwhile).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { constants as osConstants } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const CLI_BIN = path.join(ROOT, "services/cli/bin/credvend.js");
/** services/cli/src/worker-heap.ts's WORKER_HEAP_FLAGS, as a user sees them in `ps` (the tests can not import the CLI package). */
export const WORKER_HEAP_FLAGS: readonly string[] = ["--max-semi-space-size=16", "--heap-growing-percent=50"];

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `input`, when given, is written to the command's stdin (then closed). */
export function credvend(args: readonly string[], env: Readonly<Record<string, string>> = {}, timeoutMs = 30_000, input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI_BIN, ...args], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
      timeout: timeoutMs,
      encoding: "utf8",
    }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Runs any program (an SDK job, the AWS CLI) to its end, from the checkout unless `cwd` says otherwise. */
export function runFile(file: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000, cwd = ROOT): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(file, [...args], { env, timeout: timeoutMs, encoding: "utf8", cwd }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A long-running `credvend` (worker, dev): its output so far, a wait for a line, its exit. */
export interface CliProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves when stdout+stderr match `pattern`; rejects with the output so far on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (128 + n for a signal) once the process has ended. */
  readonly exited: Promise<number>;
  /** SIGKILL if still running; for test cleanup (after hooks), so a failed test leaves nothing behind. */
  kill(): void;
}

export function spawnCredvend(args: readonly string[], env: Readonly<Record<string, string>> = {}, cwd = ROOT): CliProcess {
  return spawnWatched(process.execPath, [CLI_BIN, ...args], { ...process.env, ...env }, cwd);
}

/** Any long-running command (an installed `credvend`, say), watched like spawnCredvend's; `env` is its whole environment. */
export function spawnWatched(command: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd = ROOT): CliProcess {
  const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      text += chunk;
      for (const check of waiters) check();
    });
  }
  const exited = new Promise<number>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? 128 + (signal ? osConstants.signals[signal] : 0)));
  });
  // This test process may die without running after-hooks; the child must not outlive it.
  const killOnExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);
  void exited.then(() => process.removeListener("exit", killOnExit));
  return {
    child,
    output: () => text,
    exited,
    kill: killOnExit,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const done = (error?: Error): void => {
          waiters.delete(check);
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        };
        const check = (): void => {
          if (pattern.test(text)) done();
        };
        const timer = setTimeout(() => done(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${text}`)), timeoutMs);
        void exited.then((code) => done(new Error(`exited ${code} before ${pattern}; output:\n${text}`)));
        waiters.add(check);
        check();
      });
    },
  };
}
