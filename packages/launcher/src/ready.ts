import { setTimeout as sleep } from "node:timers/promises";
import type { SupervisedChild } from "./child.js";
import { ServerStartError } from "./errors.js";

export const DEFAULT_STARTUP_TIMEOUT_MS = 10_000;
/** How long a server that exited during startup may take to deliver its last output. */
const OUTPUT_GRACE_MS = 1000;

/** Resolves with the first output line matching `pattern`; kills the child and throws ServerStartError on exit or timeout. */
export async function waitForLine(child: SupervisedChild, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  let unsubscribe = (): void => undefined;
  const seen = new Promise<RegExpExecArray>((resolve) => {
    unsubscribe = child.onLine((line) => {
      const match = pattern.exec(line);
      if (match) resolve(match);
    });
  });
  try {
    return await raceStartup(child, seen, timeoutMs);
  } finally {
    unsubscribe();
  }
}

/** Polls `probe` until it returns true; same failure handling as waitForLine. */
export async function waitForProbe(child: SupervisedChild, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  let done = false;
  const poll = async (): Promise<void> => {
    for (let delay = 10; !done; delay = Math.min(delay * 2, 100)) {
      if (await probe()) return;
      await sleep(delay);
    }
  };
  try {
    await raceStartup(child, poll(), timeoutMs);
  } finally {
    done = true;
  }
}

async function raceStartup<T>(child: SupervisedChild, ready: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const failed = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ServerStartError(child.name, `not ready after ${timeoutMs} ms`, child.tail())), timeoutMs);
    void child.exited.then(async (exit) => {
      // The exit can be seen before the last output is read, and that output says why (a port
      // already in use is retried on new ports): wait for it, briefly.
      await Promise.race([child.outputEnded, sleep(OUTPUT_GRACE_MS)]);
      const how = exit.signal !== null ? `signal ${exit.signal}` : `code ${String(exit.code)}`;
      reject(new ServerStartError(child.name, `exited with ${how} during startup`, child.tail()));
    });
  });
  // The child exits long after a successful start; that later rejection is expected, not unhandled.
  failed.catch(() => undefined);
  try {
    return await Promise.race([ready, failed]);
  } catch (err) {
    await child.stop(1000);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
