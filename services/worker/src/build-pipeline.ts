// The vendor's request lifecycle, in order. Print it with `pipeline.describe()`.
import type { STSClient } from "@aws-sdk/client-sts";
import type { EnvelopeSealer, SealingKey } from "@credvend/envelope";
import type { IdempotencyStore, LimitedClaims, RateLimiter } from "@credvend/guard";
import type { CredvendConfig } from "@credvend/policy";
import type { CredentialReuse } from "./aws/credential-reuse.js";
import type { StsBudget } from "./aws/sts-budget.js";
import type { DeniedCache } from "./aws/denied-cache.js";
import { Pipeline } from "./pipeline/pipeline.js";
import type { Incoming, Replied, WorkerStageContext } from "./pipeline/types.js";
import { callStsStage } from "./stages/call-sts.js";
import { decodeStage } from "./stages/decode.js";
import { dataKeyStage } from "./stages/data-key.js";
import { encryptStage } from "./stages/encrypt.js";
import { federationCheckStage } from "./stages/federation-check.js";
import { identifyStage } from "./stages/identify.js";
import { limitAndClaimStage } from "./stages/limit-and-claim.js";
import { planStage } from "./stages/plan.js";
import { callerRateLimitStage } from "./stages/rate-limit.js";
import { RefusedBuckets } from "./stages/refused-buckets.js";
import { validateStage, type ValidateOptions } from "./stages/validate.js";
import type { ReplyKeyReadiness } from "./aws/reply-key.js";

export interface PipelineDeps {
  readonly sts: STSClient;
  readonly reuse: CredentialReuse;
  readonly sealer: EnvelopeSealer;
  /** Sealed replies' static key (validate refuses them when there is none). */
  readonly sealingKey?: SealingKey | undefined;
  /** The reply key as the worker's background check last found it (none: not watched). */
  readonly replyKey?: (() => ReplyKeyReadiness) | undefined;
  readonly idempotency: IdempotencyStore;
  readonly limiter: RateLimiter;
  /** The rate limits and the claim of a request in one round trip (over `limiter` and `idempotency`). */
  readonly claims: LimitedClaims;
  readonly config: () => CredvendConfig;
  readonly validate: ValidateOptions;
  readonly vendorUsesRoleCredentials: boolean;
  readonly now: () => number;
  readonly stsBudget?: StsBudget | undefined;
  readonly deniedCache?: DeniedCache | undefined;
}

/**
 * Rate limits come before the idempotency claim, so refusals and replays are charged too; the
 * caller's own buckets are taken from the point of rate-limit:caller, so a request refused after
 * it (entitlement, rendering, federation pre-check) is charged as well (by the boundary, which
 * answers CV_ERR_RATE_LIMITED instead when they are spent). Entitlement comes before the claim, so
 * a stored reply is replayed only while the access rules of now still allow it. On the success
 * path every limit and the claim are one Redis round trip (rate-limit+dedupe), the completion
 * another; a bucket Redis just refused refuses again without one until its retry-after. The reply's data key comes before STS, so a KMS failure costs no AssumeRole.
 */
export function buildPipeline(deps: PipelineDeps): Pipeline<Incoming, Replied, WorkerStageContext> {
  // One worker's memory of buckets Redis just refused, shared by both places that ask the limiter.
  const refused = new RefusedBuckets({ maxEntries: 10_000 });
  return Pipeline.start(identifyStage())
    .then(decodeStage())
    .then(validateStage(deps.validate))
    .then(callerRateLimitStage(deps.limiter, deps.config, refused))
    .then(planStage(deps.config, { vendorUsesRoleCredentials: deps.vendorUsesRoleCredentials }))
    .then(federationCheckStage())
    .then(limitAndClaimStage(deps.claims, deps.idempotency, deps.config, refused))
    .then(dataKeyStage(deps.sealer, deps.sealingKey, deps.replyKey))
    .then(callStsStage({ sts: deps.sts, reuse: deps.reuse, sealer: deps.sealer, store: deps.idempotency, now: deps.now, budget: deps.stsBudget, denied: deps.deniedCache }))
    .then(encryptStage(deps.sealer));
}
