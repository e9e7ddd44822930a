// The fleet-wide STS budget: one GCRA bucket in Redis per AWS account and region, shared by every
// worker, taken before each STS call. STS quotas are per account and region (counted against the
// account whose credentials sign the call), while per-template and per-caller limits add up
// across tenants; this is what keeps the whole fleet under the quota together.
import { CredvendError } from "@credvend/protocol";
import { RateLimiter, type Redis } from "@credvend/guard";
import type { StsPlan } from "@credvend/policy";

export interface StsBudgetOptions {
  readonly perSecond: number;
  readonly burst: number;
  readonly region: string;
}

/** A refusal shorter than this is waited out inside the worker (a burst smoothed, not refused). */
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
  readonly #limiter: RateLimiter;

  constructor(redis: Redis, private readonly options: StsBudgetOptions) {
    this.#limiter = new RateLimiter(redis, { prefix: STS_BUDGET_PREFIX });
  }

  /** Takes one call from the budget, waiting up to a second; else CV_ERR_RATE_LIMITED with retry-after. */
  async take(plan: StsPlan, signal: AbortSignal): Promise<void> {
    const account = budgetAccount(plan);
    const tag = `${this.options.region}:${account}`.replace(/[{}]/g, "");
    for (;;) {
      signal.throwIfAborted();
      const decision = await this.#limiter.check(tag, [{ key: "calls", perSecond: this.options.perSecond, burst: this.options.burst }]);
      if (decision.allowed) return;
      if (decision.retryAfterMs > MAX_WAIT_MS) {
        throw new CredvendError("CV_ERR_RATE_LIMITED",
          `the fleet's STS budget for account ${account} in ${this.options.region} (${this.options.perSecond}/s) is spent; retry after ${decision.retryAfterMs} ms`,
          { retryAfterMs: decision.retryAfterMs });
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, decision.retryAfterMs);
        signal.addEventListener("abort", () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
      });
    }
  }
}
