// Lint of access rules, rate limits and NATS identities against the templates they name.
import type { AccessRule, CredvendConfig } from "./schema.js";
import { problem, preview, type PathSegment, type Problem } from "./problems.js";
import { matchesAny, matchesAnyName } from "./glob.js";
import { checkParamValue } from "./params.js";
import { hasMalformedPlaceholder, variablesIn } from "./placeholders.js";
import { BINDING_VARIABLES, constraintParts, label } from "./access.js";
import { REQUEST_DURATION_RANGE } from "./limits.js";
import { didYouMean } from "./suggest.js";

/** Template kinds whose request carries a bearer credential of an identity (claims bind it). */
const BEARER_KINDS: readonly string[] = ["web_identity", "saml"];

export function lintAccess(config: CredvendConfig): Problem[] {
  const out: Problem[] = [];
  const templateNames = Object.keys(config.templates);
  const rules = config.access ?? [];
  if (rules.length === 0) out.push(problem("warning", ["access"], "no access rules: every request will be denied"));
  rules.forEach((rule, i) => {
    const at: PathSegment[] = ["access", i];
    const matched = templateNames.filter((t) => matchesAny(rule.templates, t));
    if (matched.length === 0) {
      // A single literal name that matches nothing is usually a typo of one that exists.
      const only = rule.templates.length === 1 && !/[*?]/.test(rule.templates[0] ?? "") ? rule.templates[0] : undefined;
      out.push(problem("warning", [...at, "templates"], `${preview(rule.templates)} matches no template${only === undefined ? "" : didYouMean(only, templateNames)}`));
    }
    if (rule.effect === "deny") {
      if (rule.max_duration !== undefined) out.push(problem("error", [...at, "max_duration"], "a deny rule has no duration cap; move it to an allow rule"));
      if (rule.rate_limit !== undefined) out.push(problem("error", [...at, "rate_limit"], "a deny rule has no rate limit; move it to an allow rule"));
      if (rule.sealed_replies !== undefined) out.push(problem("error", [...at, "sealed_replies"], "a deny rule serves no replies; move sealed_replies to an allow rule"));
    } else if (rule.sealed_replies === "allow" && rule.principals.some(matchesAnyName)) {
      // Sealed replies drop the KMS key policy as a second check: the NATS credential alone
      // suffices, so they should be granted to the few principals that have no AWS identity.
      out.push(problem("warning", [...at, "sealed_replies"], `sealed replies are allowed for every principal of ${preview(rule.tenants)}; name the principals that have no AWS identity (each then needs only its NATS credential to obtain AWS credentials)`));
    }
    (rule.on_behalf_of ?? []).forEach((g, j) => {
      // Acting for every tenant is never what a platform needs: it also reaches tenants that are
      // not its customers (and any created later). Name them, or a prefix such as cust-*.
      if (rule.effect !== "deny" && matchesAnyName(g)) out.push(problem("error", [...at, "on_behalf_of", j], `${preview(g)} lets the principals act for every tenant; list the customer tenants or a prefix such as "cust-*"`));
    });
    if (rule.max_duration !== undefined && rule.max_duration < REQUEST_DURATION_RANGE.min) out.push(problem("error", [...at, "max_duration"], `${rule.max_duration} is below ${REQUEST_DURATION_RANGE.min} seconds, the STS minimum`));
    out.push(...lintClaims(config, rule.claims ?? {}, matched, [...at, "claims"]));
    if (rule.effect !== "deny") out.push(...lintBearerBinding(config, rule, matched, at));
    for (const [pname, constraint] of Object.entries(rule.params ?? {})) {
      const cat: PathSegment[] = [...at, "params", pname];
      const declaring = matched.filter((t) => Object.hasOwn(config.templates[t]?.params ?? {}, pname));
      const lacking = matched.filter((t) => !declaring.includes(t));
      if (lacking.length > 0) {
        // An allow rule whose constraint can not apply would serve the template with no check on the
        // value at all (once, another tenant's bucket); a deny would refuse the template outright.
        const effect = rule.effect === "deny" ? "the deny would refuse these templates whatever the request" : "the rule must not serve them unchecked";
        out.push(problem(rule.effect === "deny" ? "warning" : "error", cat, `rule ${label(rule, i)} constrains parameter "${pname}", but template${lacking.length > 1 ? "s" : ""} ${lacking.join(", ")} (matched by templates ${preview(rule.templates)}) ${lacking.length > 1 ? "have" : "has"} no such parameter; ${effect}. Narrow the rule's templates, or declare the parameter`));
        if (declaring.length === 0) continue;
      }
      const parts = constraintParts(constraint);
      const bindings = parts.equals === undefined ? [] : [parts.equals];
      for (const b of bindings) {
        if (hasMalformedPlaceholder(b)) out.push(problem("error", cat, `${preview(b)} has a malformed placeholder; write {{tenant}}`));
        for (const v of variablesIn(b)) {
          if (!(BINDING_VARIABLES as readonly string[]).includes(v)) out.push(problem("error", cat, `unknown variable {{${v}}} in a binding; use ${BINDING_VARIABLES.map((x) => `{{${x}}}`).join(", ")}`));
        }
      }
      // Only `equals` (and the plain-string form) renders {{tenant}}; in `values` or `pattern` it is
      // literal text no value can match, so a deny written that way would never deny.
      const literal = [...(parts.values ?? []).map((v) => ["values", v] as const), ...(parts.pattern === undefined ? [] : [["pattern", parts.pattern] as const])];
      for (const [where, text] of literal) {
        if (text.includes("{{") || text.includes("}}")) out.push(problem("error", cat, `${preview(text)} in ${where} is not a binding (bindings work only as a string constraint or in equals), so it never matches${rule.effect === "deny" ? " and the deny never applies" : ""}`));
      }
      const values = parts.values ?? [];
      values.forEach((v, j) => {
        const fitsNone = declaring.every((t) => {
          const spec = config.templates[t]?.params?.[pname];
          return spec !== undefined && checkParamValue(spec, v) !== undefined;
        });
        const path = Array.isArray(constraint) ? [...cat, j] : [...cat, "values", j];
        if (fitsNone) out.push(problem("warning", path, `${preview(v)} is not a valid value of parameter "${pname}", so it can never be allowed`));
      });
    }
  });
  for (const t of Object.keys(config.rate_limits?.per_template ?? {})) {
    if (!Object.hasOwn(config.templates, t)) out.push(problem("error", ["rate_limits", "per_template", t], `no template is named "${t}"${didYouMean(t, Object.keys(config.templates))}`));
  }
  out.push(...lintRuleNames(rules));
  out.push(...lintIdentities(config));
  return out;
}

/**
 * A rule's name is its identity: in audit (accessRule), refusals, the dry run and its rate-limit
 * bucket (rule-bucket.ts). Two rules of one name would share one bucket at different rates, so one
 * rule's traffic would refuse the other's. Deny rules share the namespace (refusals name them).
 */
function lintRuleNames(rules: readonly AccessRule[]): Problem[] {
  const out: Problem[] = [];
  const first = new Map<string, number>();
  rules.forEach((rule, i) => {
    if (rule.name === undefined) return;
    const earlier = first.get(rule.name);
    if (earlier === undefined) first.set(rule.name, i);
    else out.push(problem("error", ["access", i, "name"], `rule name "${rule.name}" is already used by access[${earlier}]; a name identifies one rule in audit events, refusals and its rate-limit bucket (the two would share one), so rename one of them`));
  });
  return out;
}

/**
 * A claim binding applies only to web identity tokens and SAML assertions: on any other kind the
 * rule would serve the template with the claim unchecked. Its variables are the bindings plus the templates' parameters.
 */
function lintClaims(config: CredvendConfig, claims: Readonly<Record<string, string>>, matched: readonly string[], at: PathSegment[]): Problem[] {
  const out: Problem[] = [];
  if (Object.keys(claims).length === 0) return out;
  const other = matched.filter((t) => !BEARER_KINDS.includes(config.templates[t]?.kind ?? ""));
  if (other.length > 0) out.push(problem("error", at, `claims apply only to web_identity and saml templates, but the rule also matches ${other.join(", ")}; narrow the rule's templates`));
  for (const [claim, binding] of Object.entries(claims)) {
    if (hasMalformedPlaceholder(binding)) out.push(problem("error", [...at, claim], `${preview(binding)} has a malformed placeholder; write {{principal}}`));
    for (const v of variablesIn(binding)) {
      const known = (BINDING_VARIABLES as readonly string[]).includes(v) || matched.every((t) => Object.hasOwn(config.templates[t]?.params ?? {}, v));
      if (!known) out.push(problem("error", [...at, claim], `unknown variable {{${v}}}; use ${BINDING_VARIABLES.map((x) => `{{${x}}}`).join(", ")} or a parameter every matched template declares`));
    }
  }
  return out;
}

/** Whether a rule's tenants globs can match more than one tenant. */
function spansTenants(rule: AccessRule): boolean {
  return rule.tenants.length > 1 || rule.tenants.some((g) => /[*?]/.test(g));
}

/**
 * A web identity token or SAML assertion is a bearer credential: whoever holds it is that
 * identity to STS. An allow rule must bind it to the caller, or any caller the rule admits can
 * spend a token or assertion issued to another (one stolen from another tenant, or replayed).
 * - Binding a claim to a parameter binds nothing when the request picks the parameter's value:
 *   the caller sends the victim's email with the victim's token. Only a value the rule pins
 *   (`equals`, or a `values` list) counts.
 * - Principal names are unique only within a tenant, so a rule reaching more than one tenant must
 *   bind a claim to {{tenant}} (or {{caller_tenant}}): else tenant A's "app" spends tenant B's.
 */
function lintBearerBinding(config: CredvendConfig, rule: AccessRule, matched: readonly string[], at: PathSegment[]): Problem[] {
  const bearer = matched.filter((t) => BEARER_KINDS.includes(config.templates[t]?.kind ?? ""));
  if (bearer.length === 0) return [];
  const out: Problem[] = [];
  const claims = Object.entries(rule.claims ?? {});
  const where = `template${bearer.length > 1 ? "s" : ""} ${bearer.join(", ")}`;
  if (claims.length === 0) {
    const msg = `binds no claim of the web identity token or SAML assertion of ${where}, so any caller it allows can spend a token issued to another`;
    if (spansTenants(rule)) out.push(problem("error", at, `${msg} (another tenant's too); add claims such as { sub: "{{tenant}}:{{principal}}" }`));
    else out.push(problem("warning", at, `${msg}; add claims such as { sub: "{{principal}}" }`));
    return out;
  }
  const pinned = (name: string) => {
    const c = rule.params?.[name];
    if (c === undefined) return false;
    const parts = constraintParts(c);
    return parts.equals !== undefined || parts.values !== undefined;
  };
  for (const [claim, binding] of claims) {
    for (const v of variablesIn(binding)) {
      if ((BINDING_VARIABLES as readonly string[]).includes(v) || pinned(v)) continue;
      out.push(problem("error", [...at, "claims", claim], `{{${v}}} is a parameter the request chooses, so the caller picks the value the ${claim} claim must have (and sends another's token with it); bind the claim to {{tenant}} or {{principal}}, or pin params.${v} in this rule with equals or values`));
    }
  }
  const namesTenant = claims.some(([, b]) => variablesIn(b).some((v) => v === "tenant" || v === "caller_tenant"));
  if (spansTenants(rule) && !namesTenant) {
    out.push(problem("error", [...at, "claims"], `the rule reaches more than one tenant (${preview(rule.tenants)}) but no claim binding names {{tenant}}: principal names are unique only within a tenant, so one tenant's principal could spend a token issued to another's of the same name; bind a claim to {{tenant}}`));
  }
  return out;
}

function lintIdentities(config: CredvendConfig): Problem[] {
  const out: Problem[] = [];
  const users = new Set<string>();
  const ids = new Set<string>();
  (config.identities ?? []).forEach((id, i) => {
    const at: PathSegment[] = ["identities", i];
    const user = id.user ?? `${id.tenant}.${id.principal}`;
    if (id.password !== undefined && id.nkey !== undefined) out.push(problem("error", at, "give either password or nkey, not both"));
    // nats-server lets anyone log in as a user that has neither, and so speak as this principal.
    if (id.password === undefined && id.nkey === undefined) out.push(problem("error", at, "give a password ($ENV_VAR reference) or an nkey; a NATS user without either accepts anyone"));
    if (users.has(user)) out.push(problem("error", [...at, "user"], `user ${preview(user)} is listed twice`));
    users.add(user);
    const key = `${id.tenant}.${id.principal}`;
    if (ids.has(key)) out.push(problem("warning", at, `${key} has more than one NATS user`));
    ids.add(key);
    const allowed = (config.access ?? []).some((r) => r.effect !== "deny" && matchesAny(r.tenants, id.tenant) && matchesAny(r.principals, id.principal));
    if (!allowed) out.push(problem("warning", at, `no allow rule covers tenant "${id.tenant}" principal "${id.principal}"; its requests will all be denied`));
  });
  return out;
}
