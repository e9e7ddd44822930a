// The worker's V8 heap. A vend's objects live as long as its AWS calls (tens of milliseconds, and
// more while requests queue), so many are promoted to the old generation and die there; V8 then
// lets the old generation grow to about four times what survives before it collects, and Node 24
// sizes the young generation from the host's memory (two 64 MiB semi-spaces on a 24 GiB machine,
// where Node 20 had two of 16 MiB). On the bench's fleet shape that took a worker's peak RSS to
// about 400 MiB for some 30 MiB of live heap. Heap sizes are fixed when V8 starts, so `credvend
// worker` starts itself again, as the same process (process.execve), with Node 20's young
// generation and an old generation that grows by half of what survives: peak RSS about 205 MiB
// for 12 to 19 % more CPU per vend; 8 MiB semi-spaces saved only a few MiB more for another 14 to
// 20 % (docs/performance.md has the measurements). An operator who sized the heap (node flags
// or NODE_OPTIONS) keeps that choice.
export const WORKER_HEAP_FLAGS: readonly string[] = ["--max-semi-space-size=16", "--heap-growing-percent=50"];

/** Node flags that size V8's heap: with any of them given, the operator's choice stands. */
const HEAP_SIZE_FLAG = /^--(?:(?:max|min)[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor|max[-_]heap[-_]size|heap[-_]growing[-_]percent|max[-_]old[-_]space[-_]size)(?:=|$)/;

/**
 * The flags to start the worker with, or [] when the operator sized the heap already (on the node
 * command line or in NODE_OPTIONS; `--max-semi-space-size=0` keeps V8's own sizing).
 */
export function workerHeapFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? "").split(/\s+/)];
  return given.some((flag) => HEAP_SIZE_FLAG.test(flag)) ? [] : [...WORKER_HEAP_FLAGS];
}

// The real one never returns; a stand-in in a test does.
type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => void;

/** What restartWithWorkerHeap reads of the process (the real one by default). */
export interface RestartableProcess {
  readonly execArgv: readonly string[];
  readonly argv: readonly string[];
  readonly execPath: string;
  readonly env: NodeJS.ProcessEnv;
  readonly platform: string;
  readonly execve?: Execve;
}

/**
 * Replaces this process (same pid, stdio and environment) by `node <heap flags> <its own node
 * flags and arguments>` when the worker's heap is not sized yet. Where Node has no
 * process.execve (before 22.15, or on Windows) it goes on with V8's own sizing, and so it does,
 * with one line on stderr, if the restart itself fails.
 */
export function restartWithWorkerHeap(
  proc: RestartableProcess = process as unknown as RestartableProcess,
  warn: (line: string) => void = (line) => process.stderr.write(line),
): void {
  const flags = workerHeapFlags(proc.execArgv, proc.env.NODE_OPTIONS);
  if (flags.length === 0 || typeof proc.execve !== "function" || proc.platform === "win32") return;
  try {
    proc.execve(proc.execPath, [proc.execPath, ...flags, ...proc.execArgv, ...proc.argv.slice(1)], proc.env);
  } catch (error) {
    warn(`credvend worker: could not start again with ${flags.join(" ")} (${(error as Error).message}); running with V8's own heap sizing\n`);
  }
}
