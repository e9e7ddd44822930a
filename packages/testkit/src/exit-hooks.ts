// Synchronous cleanups (kill children, remove temp dirs) that must run however this process ends.
// A child whose parent is SIGKILLed is still stopped: see the stdin watchdog in child.ts.

type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
let installed = false;

/** Runs `cleanup` at exit or on SIGINT/SIGTERM/SIGHUP unless the returned function unregisters it first. */
export function onProcessExit(cleanup: Cleanup): () => void {
  install();
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}

function runAll(): void {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // Best effort: one failed cleanup must not keep the others from running.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", runAll);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = (): void => {
      runAll();
      // A listener disables Node's default "die on this signal". If nobody else handles it
      // (e.g. a CLI with its own graceful shutdown), restore the default and re-raise.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, handler);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, handler);
  }
}
