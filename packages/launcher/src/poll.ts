import { setTimeout as sleep } from "node:timers/promises";

/** Polls `check` every 50 ms until it returns true; throws naming `what` (and the last problem) after `timeoutMs`. */
export async function until(what: string, timeoutMs: number, check: () => Promise<boolean | string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    let outcome: boolean | string;
    try {
      outcome = await check();
    } catch (error) {
      outcome = error instanceof Error ? error.message : String(error);
    }
    if (outcome === true) return;
    if (typeof outcome === "string") last = outcome;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms${last ? ` (${last})` : ""}`);
    await sleep(50);
  }
}
