// Synchronous cleanups (kill children, remove temp dirs) that must run however this process ends.
// A child whose parent is SIGKILLed is still stopped: see the stdin watchdog in child.ts.

type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
let installed = false;

/**
 * Runs `cleanup` at exit, or on SIGINT/SIGTERM/SIGHUP when nothing else handles that signal, unless
 * the returned function unregisters it first.
 */
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
      // Another listener (e.g. `credvend dev` on Ctrl-C) owns a graceful shutdown that still needs
      // the servers: killing them here would make its drain wait on dead connections. Its own
      // stop() ends them, and the "exit" hook (or the stdin watchdog) catches anything left over.
      if (process.listenerCount(signal) > 1) return;
      runAll();
      // A listener disables Node's default "die on this signal": restore the default and re-raise.
      process.removeListener(signal, handler);
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}
