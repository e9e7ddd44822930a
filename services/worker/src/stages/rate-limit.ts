import { CredvendError } from "@credvend/protocol";
import type { RateDecision, RateLimit, RateLimiter } from "@credvend/guard";
import type { CredvendConfig, RateLimitRule } from "@credvend/policy";
import type { Stage } from "../pipeline/pipeline.js";
import type { Validated, WorkerStageContext } from "../pipeline/types.js";
import type { RefusedBuckets } from "./refused-buckets.js";

/** A limit and the scope that the refusal message names. */
export type ScopedLimit = RateLimit & Pick<RateLimitRule, "scope">;

/**
 * The caller's own buckets (its principal and its tenant, as the config's per_principal and
 * per_tenant say). Every request that gets this far is charged to them, refusals and replays
 * included, and a principal acting on_behalf_of many tenants still draws from its own bucket.
 * No Redis call here: on the success path rate-limit+dedupe charges them together with the
 * plan's limits and the claim, in one round trip. A refusal thrown in between (entitlement,
 * rendering, the federation pre-check, the deadline) is charged to them by the boundary through
 * `record.chargeRefusal` (one GCRA round trip on that path only), and a caller over its limit is
 * then told so (CV_ERR_RATE_LIMITED) instead of the refusal, as when this stage called Redis itself.
 * The keys are those the plan uses for a request without on_behalf_of, so such a request is
 * charged once per bucket.
 */
export function callerRateLimitStage(limiter: RateLimiter, currentConfig: () => CredvendConfig, refused: RefusedBuckets): Stage<Validated, Validated, WorkerStageContext> {
  return {
    name: "rate-limit:caller",
    run(input, ctx) {
      const { tenant, principal } = input.identity;
      const limits = callerLimits(currentConfig(), tenant, principal);
      // Refused by Redis a moment ago: every later answer would be RATE_LIMITED too (limits come
      // first), so it is given now, before the plan, at no Redis cost and charging nothing.
      const known = refused.refusal(limits);
      if (known) return known.then((decision) => { throw rateLimited(decision, limits); });
      if (limits.length > 0) ctx.record.chargeRefusal = (refusal) => chargeRefusal(limiter, tenant, limits, refusal, refused);
      return input;
    },
  };
}

export function callerLimits(config: CredvendConfig, tenant: string, principal: string): ScopedLimit[] {
  const limits = config.rate_limits ?? {};
  const out: ScopedLimit[] = [];
  if (limits.per_principal) out.push({ scope: "principal", key: `${tenant}:principal:${principal}`, perSecond: limits.per_principal.per_second, burst: limits.per_principal.burst });
  if (limits.per_tenant) out.push({ scope: "tenant", key: `${tenant}:tenant`, perSecond: limits.per_tenant.per_second, burst: limits.per_tenant.burst });
  return out;
}

/**
 * Charges a refused request to the caller's buckets: the refusal stands, unless the caller is over
 * its limit (then that is the answer). When Redis can not be reached the refusal stands too: it
 * is the request's own answer, and not charging it costs nothing but one token.
 */
async function chargeRefusal(limiter: RateLimiter, tenant: string, limits: readonly ScopedLimit[], refusal: CredvendError, refused: RefusedBuckets): Promise<CredvendError> {
  const known = refused.refusal(limits);
  if (known) return rateLimited(await known, limits);
  const sentAtMs = refused.now();
  let decision: RateDecision;
  try {
    decision = await limiter.check(tenant, limits);
  } catch {
    return refusal;
  }
  if (decision.allowed) return refusal;
  refused.remember(decision, limits, sentAtMs);
  return rateLimited(decision, limits);
}

/** CV_ERR_RATE_LIMITED for a refused decision, naming the limit (its scope, rate and burst) and the retry. */
export function rateLimited(decision: RateDecision, limits: readonly ScopedLimit[]): CredvendError {
  const rule = limits.find((l) => l.key === decision.limitedBy);
  const what = rule ? `${rule.scope} limit (${rule.perSecond}/s, burst ${rule.burst})` : "rate limit";
  return new CredvendError("CV_ERR_RATE_LIMITED",
    `${what} exceeded for ${decision.limitedBy ?? "this caller"}; retry after ${decision.retryAfterMs} ms`,
    { retryAfterMs: Math.max(1, Math.ceil(decision.retryAfterMs)) });
}
