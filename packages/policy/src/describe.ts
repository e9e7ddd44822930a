// describePlan: the STS request a plan stands for, in STS's own parameter names, for the
// `templates render` dry run and for audit. Secrets are replaced by a marker; nothing else is.
import { STS_OPERATION, type StsPlan } from "./plan-types.js";

export const REDACTED = "[redacted]";

export function describePlan(plan: StsPlan): Record<string, unknown> {
  const request: Record<string, unknown> = {};
  const set = (k: string, v: unknown) => {
    if (v !== undefined) request[k] = v;
  };
  switch (plan.kind) {
    case "assume_role":
      set("RoleArn", plan.roleArn);
      set("RoleSessionName", plan.roleSessionName);
      set("Policy", plan.policy);
      set("PolicyArns", plan.policyArns.map((arn) => ({ arn })));
      set("Tags", plan.tags.map((t) => ({ Key: t.key, Value: t.value })));
      set("TransitiveTagKeys", plan.transitiveTagKeys);
      set("SourceIdentity", plan.sourceIdentity);
      set("ExternalId", plan.externalId);
      set("SerialNumber", plan.serialNumber);
      set("TokenCode", plan.tokenCode === undefined ? undefined : REDACTED);
      break;
    case "web_identity":
      set("RoleArn", plan.roleArn);
      set("RoleSessionName", plan.roleSessionName);
      set("WebIdentityToken", REDACTED);
      set("ProviderId", plan.providerId);
      set("Policy", plan.policy);
      set("PolicyArns", plan.policyArns.map((arn) => ({ arn })));
      break;
    case "saml":
      set("RoleArn", plan.roleArn);
      set("PrincipalArn", plan.principalArn);
      set("SAMLAssertion", REDACTED);
      set("Policy", plan.policy);
      set("PolicyArns", plan.policyArns.map((arn) => ({ arn })));
      break;
    case "session_token":
      set("SerialNumber", plan.serialNumber);
      set("TokenCode", plan.tokenCode === undefined ? undefined : REDACTED);
      break;
    case "federation_token":
      set("Name", plan.name);
      set("Policy", plan.policy);
      set("PolicyArns", plan.policyArns.map((arn) => ({ arn })));
      set("Tags", plan.tags.map((t) => ({ Key: t.key, Value: t.value })));
      break;
  }
  request.DurationSeconds = plan.durationSeconds;
  return {
    call: STS_OPERATION[plan.kind],
    template: plan.template,
    tenant: plan.effectiveTenant,
    callerTenant: plan.callerTenant,
    principal: plan.principal,
    requestId: plan.requestId,
    accessRule: plan.accessRule,
    request,
    ...("policy" in plan && plan.policy !== undefined && { policyChars: plan.policy.length }),
    rateLimits: plan.rateLimits.map((r) => ({ ...r })),
    ...(plan.cacheable !== undefined && { reuse: { ...plan.cacheable } }),
  };
}
