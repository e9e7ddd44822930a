// When a long-running command (dev, worker, aws-local) should stop: SIGINT, SIGTERM, or, when npm
// started it (`npm start`, `npx credvend …`), the end of the npm process. npm forwards SIGINT and
// SIGTERM to the shell it runs the command in, and that shell dies without passing them on, so a
// `kill <npm pid>` would otherwise leave this process serving with nobody to stop it.
import { launchedByNpm } from "./cli-env.js";
import { processAlive } from "./process-alive.js";

/** How often the parent's existence is checked (a stop after the parent dies takes at most this long). */
export const PARENT_POLL_MS = 250;

export type StopReason = NodeJS.Signals | "parent-exited";

export interface StopSignal {
  /** Resolves once, with what asked for the stop. */
  readonly requested: Promise<StopReason>;
  /** Removes the listeners (after the stop, or when the command fails before serving). */
  dispose(): void;
}


export function stopSignal(watchParent: boolean = launchedByNpm()): StopSignal {
  let resolve: (reason: StopReason) => void = () => undefined;
  const requested = new Promise<StopReason>((r) => (resolve = r));
  const onSignal = (signal: NodeJS.Signals): void => resolve(signal);
  // `on`, not `once`: the launcher's exit hook skips its kill-and-die while another listener
  // exists, and a `once` listener is removed before later listeners of the same signal run.
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // process.ppid is read once at start-up, so the original parent is polled instead.
  const parent = process.ppid;
  const timer = watchParent && parent > 1
    ? setInterval(() => {
        if (!processAlive(parent)) resolve("parent-exited");
      }, PARENT_POLL_MS)
    : undefined;
  timer?.unref();
  const dispose = (): void => {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    if (timer) clearInterval(timer);
  };
  void requested.then(dispose);
  return { requested, dispose };
}
