// Access rules: who may use which template, with which parameter values and durations, and for
// which tenants. Deny by default.
//
// Evaluation order (README "Access rules"):
//   1. Identity: the rules whose tenants, principals and templates globs match the caller, and
//      whose on_behalf_of fits the request (an allow rule with on_behalf_of only serves requests
//      for another tenant matching it; one without it only serves the caller's own tenant).
//      No allow rule → NOT_ENTITLED (or ON_BEHALF_OF_DENIED when acting for another tenant).
//      A request for a sealed (X25519) reply keeps only the rules with `sealed_replies: allow`
//      (plan.ts); none left → SEALED_REPLY_NOT_ALLOWED.
//   2. Parameters are validated against the template's types (done by the caller, plan.ts).
//   3. Every matching deny rule is checked, wherever it sits in the list; if its parameter
//      conditions hold, the request is refused. So a broad allow never shadows a narrower deny.
//   4. The first matching allow rule, in file order, whose parameter constraints and duration cap
//      pass, decides. If none passes: DURATION_INVALID when some rule accepted the parameters but
//      not the duration, otherwise PARAM_NOT_ALLOWED naming the parameter.
import { CredvendError } from "@credvend/protocol";
import type { AccessRule, CredvendConfig, ParamConstraint, Template } from "./schema.js";
import { matchesAny } from "./glob.js";
import { fullyMatches } from "./pattern.js";
import { renderTemplateString } from "./placeholders.js";
import { preview } from "./problems.js";
import { didYouMean, nearby } from "./suggest.js";

/** Variables a parameter binding may use: `customer: "{{tenant}}"`. */
export const BINDING_VARIABLES = ["tenant", "principal", "caller_tenant"] as const;

export interface AccessRequest {
  readonly callerTenant: string;
  readonly principal: string;
  /** The caller's tenant, or the tenant it acts for (on_behalf_of). */
  readonly effectiveTenant: string;
  readonly template: string;
}

export interface MatchedRule {
  readonly rule: AccessRule;
  readonly index: number;
  /** The rule's name, or `#<index>`: used in rate-limit scopes, audit and messages. */
  readonly label: string;
}

export interface AccessDecision extends MatchedRule {
  readonly durationSeconds: number;
}

export function label(rule: AccessRule, index: number): string {
  return rule.name ?? `#${index}`;
}

function identityMatches(rule: AccessRule, req: AccessRequest): boolean {
  if (!matchesAny(rule.tenants, req.callerTenant) || !matchesAny(rule.principals, req.principal) || !matchesAny(rule.templates, req.template)) return false;
  const onBehalf = req.effectiveTenant !== req.callerTenant;
  if (rule.effect === "deny") return rule.on_behalf_of === undefined || (onBehalf && matchesAny(rule.on_behalf_of, req.effectiveTenant));
  return onBehalf ? rule.on_behalf_of !== undefined && matchesAny(rule.on_behalf_of, req.effectiveTenant) : rule.on_behalf_of === undefined;
}

/** Step 1. Throws when no allow rule matches the caller's identity. */
export function matchIdentity(config: CredvendConfig, req: AccessRequest): MatchedRule[] {
  const rules = config.access ?? [];
  const allows = rules.flatMap((rule, index) => (rule.effect !== "deny" && identityMatches(rule, req) ? [{ rule, index, label: label(rule, index) }] : []));
  if (allows.length > 0) return allows;
  if (req.effectiveTenant !== req.callerTenant) {
    throw new CredvendError("CV_ERR_ON_BEHALF_OF_DENIED", `principal ${req.principal} of tenant ${req.callerTenant} may not use template ${preview(req.template, 140)} on behalf of tenant ${req.effectiveTenant}`, { field: "on_behalf_of" });
  }
  throw new CredvendError("CV_ERR_NOT_ENTITLED", `principal ${req.principal} of tenant ${req.callerTenant} may not use template ${preview(req.template, 140)}${templateHint(config, req)}`, { field: "template" });
}

/**
 * "Did you mean" for a template name, among the templates this caller's allow rules let it use
 * only: the hint is the same whether the name exists or not, and never names a template the
 * caller could not use, so it reveals nothing a probe could not.
 */
export function templateHint(config: CredvendConfig, req: AccessRequest): string {
  const rules = (config.access ?? []).filter((rule) => rule.effect !== "deny");
  // Near names first (cheap), then the rules for those few only: a refusal costs little to compute.
  const near = nearby(req.template, Object.keys(config.templates).filter((t) => t !== req.template));
  const usable = near.find((t) => rules.some((rule) => identityMatches(rule, { ...req, template: t })));
  return usable === undefined ? "" : didYouMean(req.template, [usable]);
}

function bindings(req: AccessRequest): Map<string, string> {
  return new Map([["tenant", req.effectiveTenant], ["principal", req.principal], ["caller_tenant", req.callerTenant]]);
}

export interface ConstraintParts {
  readonly values?: readonly string[];
  readonly pattern?: string;
  readonly equals?: string;
}

/** The three spellings of a constraint (list, string, object) as one shape. */
export function constraintParts(constraint: ParamConstraint): ConstraintParts {
  if (typeof constraint === "string") return { equals: constraint };
  if (isList(constraint)) return { values: constraint };
  return constraint;
}

function isList(c: ParamConstraint): c is readonly string[] {
  return Array.isArray(c);
}

function satisfies(constraint: ParamConstraint, value: string | undefined, vars: ReadonlyMap<string, string>): boolean {
  if (value === undefined) return false;
  const c = constraintParts(constraint);
  if (c.values !== undefined && !c.values.includes(value)) return false;
  if (c.pattern !== undefined && !fullyMatches(c.pattern, value)) return false;
  if (c.equals !== undefined && value !== renderTemplateString(c.equals, vars)) return false;
  return true;
}

/**
 * The first parameter whose constraint fails, or undefined. Both ways fail closed when the
 * template lacks a constrained parameter: an allow rule's constraint then fails (it has no value
 * to hold for; once, such a rule issued another tenant's bucket), while a deny rule's constraint
 * is passed over, so the deny still applies. Lint refuses such configs; this is the second line.
 */
function failingParam(rule: AccessRule, tpl: Template, params: ReadonlyMap<string, string>, vars: ReadonlyMap<string, string>): string | undefined {
  for (const [name, constraint] of Object.entries(rule.params ?? {})) {
    if (rule.effect === "deny" && !Object.hasOwn(tpl.params ?? {}, name)) continue;
    if (!satisfies(constraint, params.get(name), vars)) return name;
  }
  return undefined;
}

/** Step 3. Any deny rule whose identity and parameter conditions hold refuses the request. */
export function checkDenies(config: CredvendConfig, tpl: Template, req: AccessRequest, params: ReadonlyMap<string, string>): void {
  const vars = bindings(req);
  (config.access ?? []).forEach((rule, index) => {
    if (rule.effect !== "deny" || !identityMatches(rule, req)) return;
    if (failingParam(rule, tpl, params, vars) !== undefined) return;
    throw new CredvendError("CV_ERR_NOT_ENTITLED", `access rule ${label(rule, index)} denies principal ${req.principal} of tenant ${req.callerTenant} template ${req.template}${req.effectiveTenant !== req.callerTenant ? ` for tenant ${req.effectiveTenant}` : ""}`, { field: "template" });
  });
}

export interface DurationBounds {
  readonly min: number;
  readonly max: number;
  readonly default: number;
  /** What sets `max` when it is an STS limit (e.g. role chaining), for the refusal's message. */
  readonly maxReason?: string;
}

/** Step 4. `requested` undefined means the default (capped by the rule). */
export function selectAllowRule(candidates: readonly MatchedRule[], tpl: Template, req: AccessRequest, params: ReadonlyMap<string, string>, requested: number | undefined, bounds: DurationBounds): AccessDecision {
  const vars = bindings(req);
  let firstBadParam: string | undefined;
  let bestCap = 0;
  for (const m of candidates) {
    const bad = failingParam(m.rule, tpl, params, vars);
    if (bad !== undefined) {
      firstBadParam ??= bad;
      continue;
    }
    const cap = Math.min(bounds.max, m.rule.max_duration ?? Infinity);
    bestCap = Math.max(bestCap, cap);
    if (requested === undefined) return { ...m, durationSeconds: Math.min(bounds.default, cap) };
    if (requested >= bounds.min && requested <= cap) return { ...m, durationSeconds: requested };
  }
  if (bestCap > 0) {
    const why = bestCap === bounds.max && bounds.maxReason !== undefined ? ` (${bounds.maxReason})` : "";
    throw new CredvendError("CV_ERR_DURATION_INVALID", `duration_seconds ${requested} is outside ${bounds.min}-${bestCap} seconds allowed for template ${req.template}${why}`, { field: "duration_seconds" });
  }
  const name = firstBadParam ?? "";
  throw new CredvendError("CV_ERR_PARAM_NOT_ALLOWED", `parameter ${name} = ${preview(params.get(name) ?? "")} is not allowed for principal ${req.principal} of tenant ${req.callerTenant}${req.effectiveTenant !== req.callerTenant ? ` acting for tenant ${req.effectiveTenant}` : ""}`, { field: `params.${name}` });
}
