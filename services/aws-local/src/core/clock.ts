import type { Clock } from "../types.js";

/**
 * The emulator's clock: wall time plus an offset that tests move through the admin path, so
 * credential expiry and TOTP windows can be exercised without waiting. SigV4 freshness and the
 * `Date` reply header deliberately use wall time instead (see server.ts): clients sign with their
 * own real clock and must not be pushed into "clock skew" by a test moving emulated time.
 */
export interface MovableClock extends Clock {
  /** Moves emulated time forward (or back, with a negative value). */
  advance(ms: number): void;
  /** Pins emulated "now" to an absolute epoch-ms value (time keeps flowing from there). */
  set(nowMs: number): void;
  /** Back to wall time. */
  reset(): void;
  readonly offsetMs: number;
}

export function createMovableClock(wallClock: () => number = Date.now): MovableClock {
  let offset = 0;
  return {
    now: () => wallClock() + offset,
    advance(ms) {
      offset += ms;
    },
    set(nowMs) {
      offset = nowMs - wallClock();
    },
    reset() {
      offset = 0;
    },
    get offsetMs() {
      return offset;
    },
  };
}
