import { CredvendError } from "@credvend/protocol";
import type { RateLimit, RateLimiter } from "@credvend/guard";
import type { CredvendConfig, RateLimitRule } from "@credvend/policy";
import type { Stage } from "../pipeline/pipeline.js";
import type { Planned, Validated } from "../pipeline/types.js";

/**
 * The caller's own buckets (its principal and its tenant, as the config's per_principal and
 * per_tenant say), charged before entitlement and before the idempotency claim: refused requests
 * and replays cost a token too, and a principal acting on_behalf_of many tenants still draws from
 * its own bucket. The keys are those the plan would use for a request without on_behalf_of, so
 * such a request is charged once per bucket.
 */
export function callerRateLimitStage(limiter: RateLimiter, currentConfig: () => CredvendConfig): Stage<Validated, Validated> {
  return {
    name: "rate-limit:caller",
    async run(input) {
      const { tenant, principal } = input.identity;
      const limits = callerLimits(currentConfig(), tenant, principal);
      if (limits.length > 0) refuseUnlessAllowed(await limiter.check(tenant, limits), limits);
      return input;
    },
  };
}

/**
 * The plan's remaining limits (template, access rule, and with on_behalf_of the effective
 * tenant's buckets), all in one round trip. Keys the caller stage already charged are skipped;
 * the effective tenant's keys live in its own Redis Cluster slot, so they can not share the
 * caller's round trip.
 */
export function planRateLimitStage(limiter: RateLimiter, currentConfig: () => CredvendConfig): Stage<Planned, Planned> {
  return {
    name: "rate-limit:plan",
    async run(input) {
      const { plan } = input;
      const charged = plan.effectiveTenant === plan.callerTenant
        ? new Set(callerLimits(currentConfig(), plan.callerTenant, plan.principal).map((l) => l.key))
        : new Set<string>();
      const limits = plan.rateLimits.filter((l) => !charged.has(l.key));
      if (limits.length > 0) refuseUnlessAllowed(await limiter.check(plan.effectiveTenant, limits), limits);
      return input;
    },
  };
}

type Scoped = RateLimit & Pick<RateLimitRule, "scope">;

function callerLimits(config: CredvendConfig, tenant: string, principal: string): Scoped[] {
  const limits = config.rate_limits ?? {};
  const out: Scoped[] = [];
  if (limits.per_principal) out.push({ scope: "principal", key: `${tenant}:principal:${principal}`, perSecond: limits.per_principal.per_second, burst: limits.per_principal.burst });
  if (limits.per_tenant) out.push({ scope: "tenant", key: `${tenant}:tenant`, perSecond: limits.per_tenant.per_second, burst: limits.per_tenant.burst });
  return out;
}

function refuseUnlessAllowed(decision: Awaited<ReturnType<RateLimiter["check"]>>, limits: readonly Scoped[]): void {
  if (decision.allowed) return;
  const rule = limits.find((l) => l.key === decision.limitedBy);
  const what = rule ? `${rule.scope} limit (${rule.perSecond}/s, burst ${rule.burst})` : "rate limit";
  throw new CredvendError("CV_ERR_RATE_LIMITED",
    `${what} exceeded for ${decision.limitedBy ?? "this caller"}; retry after ${decision.retryAfterMs} ms`,
    { retryAfterMs: Math.max(1, Math.ceil(decision.retryAfterMs)) });
}
