import type { STSClient } from "@aws-sdk/client-sts";
import { STS_OPERATION, stsRequest, type StsPlan } from "@credvend/policy";
import { untilAborted } from "@credvend/envelope";
import { classifyAwsError } from "../aws/classify-aws-error.js";
import type { CredentialReuse } from "../aws/credential-reuse.js";
import { settleLate, type LateSettlementDeps } from "../aws/late-settlement.js";
import type { StsBudget } from "../aws/sts-budget.js";
import { DeniedCache } from "../aws/denied-cache.js";
import { CredvendError } from "@credvend/protocol";
import { sendStsRequest, stsClientFor, type SentStsRequest } from "../aws/sts-send.js";
import type { Stage } from "../pipeline/pipeline.js";
import type { IssuedCredentials, WorkerStageContext } from "../pipeline/types.js";
import type { Keyed, KeyedIssued } from "./data-key.js";

/** Exactly the request `templates render` prints (stsRequest), signed as the template says. */
async function send(sts: STSClient, plan: StsPlan, signal: AbortSignal): Promise<SentStsRequest> {
  return sendStsRequest(stsClientFor(sts, plan), stsRequest(plan), signal);
}

async function issue(sts: STSClient, plan: StsPlan, signal: AbortSignal): Promise<IssuedCredentials> {
  let result: SentStsRequest;
  try {
    result = await send(sts, plan, signal);
  } catch (error) {
    // The call's own timeout is an AWS outage; anything else is classified by the SDK's errors.
    if (signal.aborted) throw classifyAwsError(signal.reason, "sts", STS_OPERATION[plan.kind], plan.template);
    throw classifyAwsError(error, "sts", STS_OPERATION[plan.kind], plan.template);
  }
  // Complete by type: sendStsRequest refuses a success without every part (IncompleteAwsResponse).
  const c = result.credentials;
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expirationMs: c.Expiration.getTime(),
    assumedRoleArn: result.arn,
    sourceIdentity: result.sourceIdentity ?? "",
    packedPolicySize: result.packedPolicySize ?? 0,
  };
}

/**
 * How long one STS call may run, whoever waits for it. Not the request's deadline: credentials
 * STS issues after that are kept for the request's retry (late settlement), not thrown away.
 */
const STS_CALL_TIMEOUT_MS = 30_000;

export interface StsStageDeps extends LateSettlementDeps {
  readonly sts: STSClient;
  readonly reuse: CredentialReuse;
  /** The fleet-wide STS budget, taken before each call (none: unlimited). */
  readonly budget?: StsBudget | undefined;
  /** STS AccessDenied remembered for seconds per STS call (none: not remembered). */
  readonly denied?: DeniedCache | undefined;
}

/**
 * Calls STS exactly as the plan says; for templates that allow reuse, still-fresh credentials (or
 * an identical call in flight) serve instead. The request stops waiting at its deadline, the call
 * does not: what it issues settles the request id's record for the retry.
 */
export function callStsStage(deps: StsStageDeps): Stage<Keyed, KeyedIssued, WorkerStageContext> {
  const { sts, reuse, budget, denied } = deps;
  /**
   * One STS call: a refusal STS gave this very call seconds ago answers instead; then
   * the budget (while the request still waits), then the call itself.
   */
  const callSts = async (input: Keyed, waiting: AbortSignal): Promise<IssuedCredentials> => {
    const key = denied && DeniedCache.keyOf(input.plan);
    const remembered = key === undefined ? undefined : denied?.recall(key);
    if (remembered) throw remembered;
    await budget?.take(input.plan, waiting);
    try {
      return await issue(sts, input.plan, AbortSignal.timeout(STS_CALL_TIMEOUT_MS));
    } catch (error) {
      if (key !== undefined && error instanceof CredvendError && error.reason === "CV_ERR_STS_ACCESS_DENIED") denied?.remember(key, input.plan.callerTenant, error);
      throw error;
    }
  };
  return {
    name: "sts",
    async run(input, ctx) {
      const record = ctx.record;
      const { plan } = input;
      const call = plan.cacheable
        ? reuse.obtain(plan.cacheable.key, { template: plan.template, tenant: plan.effectiveTenant, principal: plan.principal }, plan.cacheable.minRemainingSeconds * 1000, () => callSts(input, AbortSignal.timeout(STS_CALL_TIMEOUT_MS)))
        : callSts(input, ctx.signal).then((issued) => ({ issued, reused: false }));
      try {
        const { issued, reused } = await untilAborted(call, ctx.signal);
        if (reused) record.reused = true;
        record.credentialsExpireAt = issued.expirationMs;
        return { ...input, issued };
      } catch (error) {
        const claim = record.claim;
        if (ctx.signal.aborted && claim) {
          // The request gave up; its claim (and the renewal of its lease) goes to the settlement.
          const stopRenewal = record.stopClaimRenewal;
          delete record.stopClaimRenewal;
          record.claimHandedOver = true;
          settleLate(deps, input, claim, call.then((c) => c.issued), stopRenewal, ctx.log);
        } else {
          input.dataKey.key.plaintext.fill(0);
        }
        throw error;
      }
    },
  };
}
