// describePlan: the STS request a plan stands for, for the `templates render` dry run and for
// audit. `request` is stsRequest(plan).input, the very object the worker sends, with the
// requester's secrets replaced by a marker; nothing else is changed or added.
import type { StsPlan } from "./plan-types.js";
import { SECRET_INPUT_FIELDS, stsRequest } from "./sts-input.js";

export const REDACTED = "[redacted]";

export function describePlan(plan: StsPlan): Record<string, unknown> {
  const { operation, input } = stsRequest(plan);
  const request: Record<string, unknown> = { ...input };
  for (const field of SECRET_INPUT_FIELDS) if (request[field] !== undefined) request[field] = REDACTED;
  return {
    call: operation,
    template: plan.template,
    tenant: plan.effectiveTenant,
    callerTenant: plan.callerTenant,
    principal: plan.principal,
    requestId: plan.requestId,
    accessRule: plan.accessRule,
    ...("credentialProfile" in plan && { signedWithProfile: plan.credentialProfile }),
    request,
    ...("policy" in plan && plan.policy !== undefined && { policyChars: plan.policy.length }),
    rateLimits: plan.rateLimits.map((r) => ({ ...r })),
    ...(plan.cacheable !== undefined && { reuse: { ...plan.cacheable } }),
  };
}
