import type { STSClient } from "@aws-sdk/client-sts";
import { STS_OPERATION, stsRequest, type StsPlan } from "@credvend/policy";
import { classifyAwsError } from "../aws/classify-aws-error.js";
import type { CredentialReuse } from "../aws/credential-reuse.js";
import { sendStsRequest, stsClientFor, type StsResult } from "../aws/sts-send.js";
import { untilAborted } from "@credvend/envelope";
import type { Stage } from "../pipeline/pipeline.js";
import type { Claimed, Issued, IssuedCredentials, WorkerStageContext } from "../pipeline/types.js";

/** Exactly the request `templates render` prints (stsRequest), signed as the template says. */
async function send(sts: STSClient, plan: StsPlan, signal: AbortSignal): Promise<StsResult> {
  return sendStsRequest(stsClientFor(sts, plan), stsRequest(plan), signal);
}

async function issue(sts: STSClient, plan: StsPlan, signal: AbortSignal): Promise<IssuedCredentials> {
  let result: StsResult;
  try {
    result = await send(sts, plan, signal);
  } catch (error) {
    // A shared call's own timeout is an AWS outage for its waiters; a request's own abort
    // (deadline, shutdown) is mapped by the boundary.
    if (signal.aborted && isTimeout(signal.reason)) throw classifyAwsError(signal.reason, "sts", STS_OPERATION[plan.kind], plan.template);
    if (signal.aborted) throw signal.reason;
    throw classifyAwsError(error, "sts", STS_OPERATION[plan.kind], plan.template);
  }
  const c = result.credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
    throw classifyAwsError(new Error("STS response had no complete Credentials"), "sts", STS_OPERATION[plan.kind]);
  }
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

const SHARED_CALL_TIMEOUT_MS = 30_000;

function isTimeout(reason: unknown): boolean {
  return reason instanceof Error && reason.name === "TimeoutError";
}

/**
 * Calls STS exactly as the plan says, bounded by the request's deadline; for templates that allow
 * reuse, still-fresh credentials (or an identical call in flight) serve instead.
 */
export function callStsStage(sts: STSClient, reuse: CredentialReuse): Stage<Claimed, Issued, WorkerStageContext> {
  return {
    name: "sts",
    async run(input, ctx) {
      const record = ctx.record;
      const { plan } = input;
      if (!plan.cacheable) {
        const issued = await issue(sts, plan, ctx.signal);
        record.credentialsExpireAt = issued.expirationMs;
        return { ...input, issued };
      }
      // A shared call is not tied to this request's deadline: its waiters each have their own.
      const shared = await untilAborted(
        reuse.obtain(plan.cacheable.key, plan.cacheable.minRemainingSeconds * 1000, () => issue(sts, plan, AbortSignal.timeout(SHARED_CALL_TIMEOUT_MS))),
        ctx.signal,
      );
      if (shared.reused) record.reused = true;
      record.credentialsExpireAt = shared.issued.expirationMs;
      return { ...input, issued: shared.issued };
    },
  };
}
