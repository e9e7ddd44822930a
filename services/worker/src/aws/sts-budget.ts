// The fleet-wide STS budget: one GCRA bucket in Redis per AWS account and region, shared by every
// worker, taken before each STS call. STS quotas are per account and region (counted against the
// account whose credentials sign the call), while per-template and per-caller limits add up
// across tenants; this is what keeps the whole fleet under the quota together.
import { CredvendError } from "@credvend/protocol";
import { RateReservations, type Redis } from "@credvend/guard";
import type { StsPlan } from "@credvend/policy";

export interface StsBudgetOptions {
  readonly perSecond: number;
  readonly burst: number;
  readonly region: string;
}

/** A wait up to this long is waited out inside the worker (a burst smoothed, not refused). */
const MAX_WAIT_MS = 1000;
export const STS_BUDGET_PREFIX = "credvend:sts-budget";

/**
 * Whose quota a call spends: role calls are signed with the worker's own identity (one for the
 * fleet); session and federation tokens with the template's profile; web identity and SAML calls
 * are unsigned and counted by the role's account.
 */
export function budgetAccount(plan: StsPlan): string {
  switch (plan.kind) {
    case "assume_role":
      return "vendor";
    case "session_token":
    case "federation_token":
      return `profile-${plan.credentialProfile}`;
    case "web_identity":
    case "saml":
      return plan.roleArn.split(":")[4] || "unknown";
  }
}

export class StsBudget {
  readonly #reservations: RateReservations;

  constructor(redis: Redis, private readonly options: StsBudgetOptions) {
    this.#reservations = new RateReservations(redis, { prefix: STS_BUDGET_PREFIX });
  }

  /**
   * Takes one call from the budget: one script reserves the call's place when it comes within a
   * second, and the request waits for it once (first come, first served); beyond that,
   * CV_ERR_RATE_LIMITED with retry-after at once, reserving nothing. A request aborted while it
   * waits leaves its place unused: the fleet stays under the quota, never over.
   */
  async take(plan: StsPlan, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const account = budgetAccount(plan);
    const tag = `${this.options.region}:${account}`.replace(/[{}]/g, "");
    const reservation = await this.#reservations.reserve(tag, { key: "calls", perSecond: this.options.perSecond, burst: this.options.burst }, MAX_WAIT_MS);
    if (!reservation.reserved) {
      throw new CredvendError("CV_ERR_RATE_LIMITED",
        `the fleet's STS budget for account ${account} in ${this.options.region} (${this.options.perSecond}/s) is spent; retry after ${reservation.retryAfterMs} ms`,
        { retryAfterMs: reservation.retryAfterMs });
    }
    if (reservation.waitMs > 0) await sleep(reservation.waitMs, signal);
  }
}

/** Resolves after `ms`, rejects with the signal's reason when it aborts first; either way its listener goes. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
