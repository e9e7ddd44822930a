// Preloaded (node --import) into every child the bench starts. The child's stdin is a pipe that
// only the bench process holds: EOF means the bench is gone (even by SIGKILL, when no cleanup of
// its own runs), and the child then stops itself with SIGTERM (graceful, like an operator's stop),
// and exits hard 10 s later if that stop hangs (e.g. a worker draining against a NATS server that
// is gone too). The pipe and the timer are unref'd, so they never keep a child alive.
if (!process.stdin.isTTY) {
  const orphaned = () => {
    setTimeout(() => process.exit(1), 10_000).unref();
    process.kill(process.pid, "SIGTERM");
  };
  process.stdin.on("data", () => undefined);
  process.stdin.once("end", orphaned);
  process.stdin.once("error", orphaned);
  process.stdin.unref?.();
}
