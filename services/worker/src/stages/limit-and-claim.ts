import { CredvendError, markReplayed } from "@credvend/protocol";
import type { IdempotencyStore, LimitedClaims, LimitGroup } from "@credvend/guard";
import type { CredvendConfig } from "@credvend/policy";
import { Finished, type Stage } from "../pipeline/pipeline.js";
import type { Claimed, Planned, WorkerStageContext } from "../pipeline/types.js";
import { callerLimits, rateLimited, type ScopedLimit } from "./rate-limit.js";
import type { RefusedBuckets } from "./refused-buckets.js";

/**
 * Rate limits, then the idempotency claim, in one Redis round trip (the guard's LimitedClaims): the
 * caller's own buckets, the plan's (template, access rule, and with on_behalf_of the effective
 * tenant's), all-or-nothing, so a request any limit refuses consumes nothing and claims nothing.
 *
 * request_id is an idempotency key per (tenant, principal). The first request claims it; an
 * identical retry gets the stored reply (no second STS call); concurrent duplicates wait for the
 * first; the same id with other content is refused. Each of these is charged (limits come before
 * the claim); a waiting duplicate's polls are not. A crashed worker's claim expires (lease).
 * A request older than the store's memory whose record is missing (Redis restarted empty) is
 * refused for good instead of being issued a second time.
 * It runs after entitle+render, so a replay is entitled by the access rules of now (a revocation
 * applies to replays too).
 */
export function limitAndClaimStage(claims: LimitedClaims, store: IdempotencyStore, currentConfig: () => CredvendConfig, refused: RefusedBuckets): Stage<Planned, Claimed, WorkerStageContext> {
  return {
    name: "rate-limit+dedupe",
    async run(input, ctx) {
      const scope = input.identity;
      const clientTimeMs = input.clientTimeMs;
      // From here the caller's buckets are charged with the rest (or, if Redis fails, not at all:
      // a second round trip to a Redis that just failed would only delay the answer).
      delete ctx.record.chargeRefusal;
      const limits = limitsOf(input, currentConfig());
      // A bucket Redis refused a moment ago still refuses: answered here, at no Redis cost.
      const known = refused.refusal(limits.all);
      if (known) throw rateLimited(await known, limits.all);
      const sentAtMs = refused.now();
      let result = await claims.claim(scope, input.requestId, input.fingerprint, limits.groups, { clientTimeMs });
      if (result.state === "pending") {
        result = await store.awaitResult(scope, input.requestId, input.fingerprint, { signal: ctx.signal, deadlineMs: ctx.record.deadlineMs, clientTimeMs });
      }
      switch (result.state) {
        case "limited":
          refused.remember(result.decision, limits.all, sentAtMs);
          throw rateLimited(result.decision, limits.all);
        case "claimed":
          ctx.record.claim = { scope, requestId: input.requestId, token: result.token, fingerprint: input.fingerprint };
          // Keep the claim while this request works (up to its deadline, which may be far longer
          // than one lease): otherwise a waiting duplicate takes over a live claim and calls STS
          // again. The worker stops the renewal before settling the claim.
          ctx.record.stopClaimRenewal = store.keepClaim(scope, input.requestId, result.token, () =>
            ctx.log.warn({ requestId: input.requestId }, "idempotency claim lost while the request was being served (lease expired); a duplicate may be served twice"));
          return { ...input, claimToken: result.token };
        case "done":
          return new Finished(markReplayed(result.reply), "replayed");
        case "mismatch":
          throw new CredvendError("CV_ERR_IDEMPOTENCY_KEY_REUSED",
            `request_id '${input.requestId}' was already used for a different request; use a new request_id for new content (reuse an id only to retry the identical request)`,
            { field: "request_id" });
        case "forgotten":
          // Redis lost its records (a restart without persistence) after this request was first
          // sent: it may have been issued then, and one request id never gets two credentials.
          throw new CredvendError("CV_ERR_REQUEST_STALE",
            `request_id '${input.requestId}' was sent (${new Date(clientTimeMs).toISOString()}) before the idempotency store's memory began (${new Date(result.epochMs).toISOString()}: Redis was restarted without its data, or is new), so whether it was already served is unknown; send the request again with a new request_id`,
            { field: "request_id" });
        case "pending":
          throw new CredvendError("CV_ERR_IDEMPOTENCY_IN_PROGRESS",
            `an identical request with request_id '${input.requestId}' is still being served; retry with the same request_id`,
            { retryAfterMs: 250 });
      }
    },
  };
}

/**
 * Every limit of the request by hash tag: the caller's own (rate-limit:caller's) under its tenant,
 * the plan's under the effective tenant. Without on_behalf_of the plan's principal and tenant
 * keys are the caller's: each bucket is charged once.
 */
function limitsOf(input: Planned, config: CredvendConfig): { groups: LimitGroup[]; all: ScopedLimit[] } {
  const { plan } = input;
  const own = callerLimits(config, input.identity.tenant, input.identity.principal);
  const charged = plan.effectiveTenant === input.identity.tenant ? new Set(own.map((l) => l.key)) : new Set<string>();
  const planned = plan.rateLimits.filter((l) => !charged.has(l.key));
  return {
    groups: [{ hashTag: input.identity.tenant, limits: own }, { hashTag: plan.effectiveTenant, limits: planned }],
    all: [...own, ...planned],
  };
}
