import { CredvendError } from "@credvend/protocol";
import type { RateLimiter } from "@credvend/guard";
import type { Stage } from "../pipeline/pipeline.js";
import type { Planned } from "../pipeline/types.js";

/** GCRA limits of the plan (principal, tenant, template, access rule), all checked in one round trip. */
export function rateLimitStage(limiter: RateLimiter): Stage<Planned, Planned> {
  return {
    name: "rate-limit",
    async run(input) {
      const limits = input.plan.rateLimits;
      if (limits.length === 0) return input;
      const decision = await limiter.check(input.plan.effectiveTenant, limits.map((l) => ({ key: l.key, perSecond: l.perSecond, burst: l.burst })));
      if (!decision.allowed) {
        const rule = limits.find((l) => l.key === decision.limitedBy);
        const what = rule ? `${rule.scope} limit (${rule.perSecond}/s, burst ${rule.burst})` : "rate limit";
        throw new CredvendError("CV_ERR_RATE_LIMITED",
          `${what} exceeded for ${decision.limitedBy ?? "this caller"}; retry after ${decision.retryAfterMs} ms`,
          { retryAfterMs: Math.max(1, Math.ceil(decision.retryAfterMs)) });
      }
      return input;
    },
  };
}
