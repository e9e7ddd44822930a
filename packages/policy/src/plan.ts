// planRequest: entitle, validate and render one request into the exact STS call to make.
// Pure: the same config and input always give the same plan; errors are CredvendErrors.
import { createHash } from "node:crypto";
import { CredvendError } from "@credvend/protocol";
import type { CredvendConfig, Template } from "./schema.js";
import { STS_OPERATION, type StsPlan } from "./plan-types.js";
import { checkDenies, matchIdentity, selectAllowRule, templateHint, type AccessRequest, type MatchedRule } from "./access.js";
import { checkRequestFields, checkMfa, effectiveTenantOf, resolveParams, samlInput, webIdentityInput, type VendInput } from "./plan-inputs.js";
import { renderPolicy } from "./render.js";
import { renderTemplateString } from "./placeholders.js";
import { rateLimitsFor } from "./rate-limits.js";
import { autoTags, defaultFederationName, federationName, roleSessionName, sourceIdentityFor, TAG_REQUEST_ID, type SessionTag } from "./session.js";
import { defaultDurationFor, maxDurationFor, type LintOptions } from "./lint-template.js";
import { DURATION_RANGES, EXTERNAL_ID_PATTERN, FEDERATION_NAME_PATTERN, MAX_POLICY_CHARS, ROLE_CHAINING_MAX_SECONDS } from "./limits.js";
import { preview } from "./problems.js";

export function planRequest(config: CredvendConfig, input: VendInput, options: LintOptions = {}): StsPlan {
  checkRequestFields(input);
  const tpl = Object.hasOwn(config.templates, input.template) ? config.templates[input.template] : undefined;
  const req: AccessRequest = { callerTenant: input.tenant, principal: input.principal, effectiveTenant: effectiveTenantOf(input), template: input.template };

  // Identity first, whether or not the template exists: a caller no rule entitles to that name gets
  // the same refusal for a missing template as for one it may not use, so it can not list
  // templates by probing names. Only callers whose rules name it learn that it does not exist.
  const matched = matchIdentity(config, req);
  if (tpl === undefined) throw new CredvendError("CV_ERR_TEMPLATE_NOT_FOUND", `no template is named ${preview(input.template, 140)}${templateHint(config, req)}`, { field: "template" });
  const candidates = input.sealedReply ? permittingSealedReplies(matched, req) : matched;
  const params = resolveParams(input.template, tpl, input.params);
  checkDenies(config, tpl, req, params);
  const bounds = { min: DURATION_RANGES[tpl.kind].min, max: maxDurationFor(tpl, options), default: defaultDurationFor(tpl, options), maxReason: stsDurationLimit(tpl, options) };
  const decision = selectAllowRule(candidates, tpl, req, params, input.durationSeconds || undefined, bounds);
  const mfa = checkMfa(input.template, tpl, input);

  const values = new Map(params);
  values.set("tenant", req.effectiveTenant).set("principal", req.principal).set("request_id", input.requestId);
  const policy = tpl.policy === undefined ? undefined : renderPolicy(tpl.policy, values);
  const policyArns = [...(tpl.policy_arns ?? [])];
  const plaintext = (policy?.length ?? 0) + policyArns.reduce((n, a) => n + a.length, 0);
  if (plaintext > MAX_POLICY_CHARS) {
    throw new CredvendError("CV_ERR_RENDERED_POLICY_TOO_LARGE", `template ${input.template} renders to ${plaintext} characters of session policy; STS allows ${MAX_POLICY_CHARS}`);
  }
  const base = {
    template: input.template, effectiveTenant: req.effectiveTenant, callerTenant: req.callerTenant, principal: req.principal,
    requestId: input.requestId, accessRule: decision.label, durationSeconds: decision.durationSeconds,
    rateLimits: rateLimitsFor(config, req, decision),
  };
  const sessionName = roleSessionName(req.callerTenant, req.principal, input.requestId);

  let plan: StsPlan;
  switch (tpl.kind) {
    case "assume_role": {
      const tags = sessionTags(tpl, values, req, input.requestId);
      const present = new Map(tags.map((t) => [t.key.toLowerCase(), t.key]));
      const transitiveTagKeys = (tpl.transitive_tag_keys ?? []).flatMap((k) => present.get(k.toLowerCase()) ?? []);
      plan = {
        kind: "assume_role", ...base, roleArn: tpl.role_arn ?? "", roleSessionName: sessionName, policyArns, tags, transitiveTagKeys,
        ...(policy !== undefined && { policy }),
        ...(tpl.source_identity !== false && { sourceIdentity: sourceIdentityFor(req.principal, req.callerTenant) }),
        ...(tpl.external_id !== undefined && { externalId: renderExternalId(input.template, tpl.external_id, values) }),
        ...mfa,
      };
      break;
    }
    case "web_identity":
      plan = {
        kind: "web_identity", ...base, roleArn: tpl.role_arn ?? "", roleSessionName: sessionName, policyArns, ...(policy !== undefined && { policy }),
        ...webIdentityInput(input.template, input), expectedClaims: expectedClaims(decision.rule.claims ?? {}, values, req, decision.label),
        ...(tpl.web_identity !== undefined && { webIdentityCheck: tpl.web_identity }),
      };
      break;
    case "saml":
      plan = {
        kind: "saml", ...base, roleArn: tpl.role_arn ?? "", policyArns, ...(policy !== undefined && { policy }), ...samlInput(input.template, tpl, input),
        expectedClaims: expectedClaims(decision.rule.claims ?? {}, values, req, decision.label),
      };
      break;
    case "session_token":
      plan = { kind: "session_token", ...base, credentialProfile: credentialProfileOf(input.template, tpl), ...mfa };
      break;
    case "federation_token":
      plan = {
        kind: "federation_token", ...base, credentialProfile: credentialProfileOf(input.template, tpl), name: tpl.federation_name === undefined ? defaultFederationName(req.callerTenant, req.principal) : renderFederationName(input.template, tpl.federation_name, values),
        policyArns, tags: sessionTags(tpl, values, req, input.requestId), ...(policy !== undefined && { policy }),
      };
      break;
  }
  if (tpl.reuse !== undefined && plan.kind !== "session_token" && mfa.tokenCode === undefined) {
    plan.cacheable = { key: reuseKey(plan), minRemainingSeconds: tpl.reuse.min_remaining_seconds };
  }
  return deepFreezePlan(plan);
}

/** The STS rule behind a template's duration cap, unless the template's own max sets it. */
function stsDurationLimit(tpl: Template, options: LintOptions): string | undefined {
  const max = maxDurationFor(tpl, options);
  if (tpl.duration?.max !== undefined && tpl.duration.max <= max) return undefined;
  if (tpl.kind === "assume_role" && max === ROLE_CHAINING_MAX_SECONDS && options.vendorUsesRoleCredentials) {
    return `role chaining caps AssumeRole at ${ROLE_CHAINING_MAX_SECONDS} s: the worker calls STS with role credentials`;
  }
  const range = DURATION_RANGES[tpl.kind];
  return `STS ${STS_OPERATION[tpl.kind]} takes ${range.min}-${range.max}`;
}

/**
 * A request for a sealed reply is served only by allow rules with `sealed_replies: allow`; the
 * others are passed over (so a broad earlier rule does not shadow the one that grants it).
 */
function permittingSealedReplies(matched: readonly MatchedRule[], req: AccessRequest): MatchedRule[] {
  const permitting = matched.filter((m) => m.rule.sealed_replies === "allow");
  if (permitting.length > 0) return permitting;
  throw new CredvendError("CV_ERR_SEALED_REPLY_NOT_ALLOWED",
    `no access rule lets principal ${req.principal} of tenant ${req.callerTenant} receive sealed replies for template ${preview(req.template, 140)}; omit reply_public_key and decrypt the KMS envelope, or add sealed_replies: allow to its rule`,
    { field: "reply_public_key" });
}

function sessionTags(tpl: Template, values: ReadonlyMap<string, string>, req: AccessRequest, requestId: string): SessionTag[] {
  const own = Object.entries(tpl.tags ?? {}).map(([key, v]) => ({ key, value: renderTemplateString(v, values) }));
  return [...own, ...autoTags(req.effectiveTenant, req.callerTenant, req.principal, requestId)];
}

/** The rule's claim bindings with the caller's values; lint vets the variables, this refuses what slipped past. */
function expectedClaims(claims: Readonly<Record<string, string>>, values: ReadonlyMap<string, string>, req: AccessRequest, rule: string): Record<string, string> {
  const vars = new Map(values).set("caller_tenant", req.callerTenant);
  const out: Record<string, string> = {};
  for (const [claim, binding] of Object.entries(claims)) {
    try {
      out[claim] = renderTemplateString(binding, vars);
    } catch {
      throw new CredvendError("CV_ERR_INTERNAL", `access rule ${rule}: claim ${claim} names a variable this request has no value for; fix the rule`);
    }
  }
  return out;
}

/** Lint requires it; refusing here keeps a config that slipped past lint from using the worker's identity. */
function credentialProfileOf(templateName: string, tpl: Template): string {
  const profile = tpl.credential_source?.profile;
  if (profile === undefined) {
    throw new CredvendError("CV_ERR_STS_REJECTED_INPUT", `template ${templateName} is ${tpl.kind} but names no credential_source; the worker never signs it with its own identity; fix the template`, { field: "template" });
  }
  return profile;
}

function renderExternalId(templateName: string, source: string, values: ReadonlyMap<string, string>): string {
  const id = renderTemplateString(source, values);
  if (!EXTERNAL_ID_PATTERN.test(id)) {
    throw new CredvendError("CV_ERR_STS_REJECTED_INPUT", `template ${templateName}: external_id renders to a value STS refuses (2-1224 of [\\w+=,.@:/-]); fix the template`, { field: "template" });
  }
  return id;
}

function renderFederationName(templateName: string, source: string, values: ReadonlyMap<string, string>): string {
  const name = federationName(renderTemplateString(source, values));
  // Lint checks the literal text and the variable types; this catches what it can not see.
  if (!FEDERATION_NAME_PATTERN.test(name)) {
    throw new CredvendError("CV_ERR_STS_REJECTED_INPUT", `template ${templateName}: federation_name renders to a value STS refuses (2-32 of [\\w+=,.@-]); fix the template`, { field: "template" });
  }
  return name;
}

/** Hash of everything that shapes the credentials except per-request fields, namespaced by tenant. */
function reuseKey(plan: StsPlan): string {
  const { requestId: _r, rateLimits: _l, accessRule: _a, cacheable: _c, ...rest } = plan;
  const stable = { ...rest } as Record<string, unknown>;
  delete stable.roleSessionName;
  if ("tags" in plan) stable.tags = plan.tags.filter((t) => t.key !== TAG_REQUEST_ID);
  const digest = createHash("sha256").update(JSON.stringify(stable)).digest("base64url");
  return `${plan.effectiveTenant}:reuse:${digest}`;
}

function deepFreezePlan<T extends object>(plan: T): T {
  for (const v of Object.values(plan)) if (v !== null && typeof v === "object") deepFreezePlan(v as object);
  return Object.freeze(plan);
}
