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

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/**
 * Replaces this process (same pid, stdio and environment) by `node <heap flags> <its own node
 * flags and arguments>` when the worker's heap is not sized yet. Where Node has no
 * process.execve (before 22.15, or on Windows) it goes on with V8's own sizing.
 */
export function restartWithWorkerHeap(): void {
  const flags = workerHeapFlags(process.execArgv, process.env.NODE_OPTIONS);
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (flags.length === 0 || typeof execve !== "function" || process.platform === "win32") return;
  execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], process.env);
}
