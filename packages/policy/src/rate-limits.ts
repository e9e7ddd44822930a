// The rate limits that apply to one request, all keyed under the effective tenant so one Redis
// Cluster slot (hash tag on the tenant) holds every counter a request touches.
import type { CredvendConfig, RateLimitSpec } from "./schema.js";
import type { RateLimitRule } from "./plan-types.js";
import type { AccessDecision, AccessRequest } from "./access.js";
import { ruleBucketId } from "./rule-bucket.js";

function rule(scope: string, key: string, spec: RateLimitSpec): RateLimitRule {
  return { scope, key, perSecond: spec.per_second, burst: spec.burst };
}

export function rateLimitsFor(config: CredvendConfig, req: AccessRequest, decision: AccessDecision): RateLimitRule[] {
  const eff = req.effectiveTenant;
  // Names never contain '.', so "<caller tenant>.<principal>" is unambiguous; a platform principal
  // acting for a customer gets its own counter in that customer's tenant.
  const who = req.callerTenant === eff ? req.principal : `${req.callerTenant}.${req.principal}`;
  const limits = config.rate_limits ?? {};
  const out: RateLimitRule[] = [];
  if (limits.per_principal !== undefined) out.push(rule("principal", `${eff}:principal:${who}`, limits.per_principal));
  if (limits.per_tenant !== undefined) out.push(rule("tenant", `${eff}:tenant`, limits.per_tenant));
  const perTemplate = limits.per_template ?? {};
  if (Object.hasOwn(perTemplate, req.template)) {
    const spec = perTemplate[req.template];
    if (spec !== undefined) out.push(rule("template", `${eff}:template:${req.template}`, spec));
  }
  // The scope names the rule for people (name or #index); the key must survive reloads (rule-bucket.ts).
  if (decision.rule.rate_limit !== undefined) out.push(rule(`rule:${decision.label}`, `${eff}:rule:${ruleBucketId(decision.rule)}:${who}`, decision.rule.rate_limit));
  return out;
}
