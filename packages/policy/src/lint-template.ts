// Lint of one template: fields that fit its kind, ARNs, durations, parameters, variables, tags
// and worst-case size. Problems carry the exact config path.
import type { Template } from "./schema.js";
import { problem, preview, type PathSegment, type Problem } from "./problems.js";
import { lintPolicy, lintPolicyText } from "./lint-policy.js";
import { lintTags } from "./lint-tags.js";
import { templateStrings, knownVariables } from "./template-strings.js";
import { BUILTINS, hasMalformedPlaceholder, hasPlaceholder, parseTemplateString, variablesIn } from "./placeholders.js";
import { checkParamValue, ENUM_ALPHABET } from "./params.js";
import { worstCaseSize } from "./size.js";
import {
  DURATION_RANGES, MAX_POLICY_ARNS, MAX_POLICY_CHARS, PACKED_BUDGET_BYTES, POLICY_ARN_PATTERN, ROLE_ARN_PATTERN,
  ROLE_CHAINING_MAX_SECONDS, SAML_PROVIDER_ARN_PATTERN, type TemplateKind,
} from "./limits.js";

export interface LintOptions {
  /** The vendor calls STS with role credentials: AssumeRole is role chaining (1 hour cap). */
  vendorUsesRoleCredentials?: boolean;
}

/** Which optional fields each kind accepts (the STS call has somewhere to put them). */
const FIELDS_BY_KIND: Readonly<Record<string, readonly TemplateKind[]>> = {
  role_arn: ["assume_role", "web_identity", "saml"],
  saml_provider_arn: ["saml"],
  policy: ["assume_role", "web_identity", "saml", "federation_token"],
  policy_arns: ["assume_role", "web_identity", "saml", "federation_token"],
  tags: ["assume_role", "federation_token"],
  transitive_tag_keys: ["assume_role"],
  source_identity: ["assume_role"],
  external_id: ["assume_role"],
  mfa: ["assume_role", "session_token"],
  federation_name: ["federation_token"],
  reuse: ["assume_role", "federation_token"],
  credential_source: ["session_token", "federation_token"],
  web_identity: ["web_identity"],
};

/** Variables an external id may use: what credvend itself vouches for, never a request's own value. */
const EXTERNAL_ID_VARIABLES = ["tenant", "principal"] as const;

/** Kinds whose STS call needs long-term IAM user credentials, which the template must name. */
const OWN_CREDENTIAL_KINDS: readonly TemplateKind[] = ["session_token", "federation_token"];

/** The duration a template gets when neither it nor the request names one. */
export function maxDurationFor(tpl: Template, options: LintOptions = {}): number {
  const range = DURATION_RANGES[tpl.kind];
  const cap = tpl.kind === "assume_role" && options.vendorUsesRoleCredentials ? ROLE_CHAINING_MAX_SECONDS : range.max;
  return Math.min(tpl.duration?.max ?? cap, cap);
}

export function defaultDurationFor(tpl: Template, options: LintOptions = {}): number {
  return Math.min(tpl.duration?.default ?? DURATION_RANGES[tpl.kind].stsDefault, maxDurationFor(tpl, options));
}

export function lintTemplate(name: string, tpl: Template, options: LintOptions = {}): Problem[] {
  const base: PathSegment[] = ["templates", name];
  const out: Problem[] = [];
  const err = (path: PathSegment[], msg: string) => out.push(problem("error", [...base, ...path], msg));
  const warn = (path: PathSegment[], msg: string) => out.push(problem("warning", [...base, ...path], msg));

  for (const [field, kinds] of Object.entries(FIELDS_BY_KIND)) {
    if ((tpl as Record<string, unknown>)[field] !== undefined && !kinds.includes(tpl.kind)) {
      err([field], `${tpl.kind} templates can not use ${field} (STS has no such input for this call); allowed for ${kinds.join(", ")}`);
    }
  }
  if (FIELDS_BY_KIND.role_arn?.includes(tpl.kind)) {
    if (tpl.role_arn === undefined) err([], `${tpl.kind} templates need role_arn`);
    else if (hasPlaceholder(tpl.role_arn)) err(["role_arn"], "role_arn can not use variables; write one template per role");
    else if (!ROLE_ARN_PATTERN.test(tpl.role_arn)) err(["role_arn"], `${preview(tpl.role_arn)} is not a role ARN (arn:aws:iam::<12-digit account>:role/<name>)`);
  }
  // Without an issuer allow-list every token, from any IdP, would cost an STS call.
  if (tpl.kind === "web_identity" && tpl.web_identity === undefined) {
    err([], "web_identity templates need web_identity: { issuers: [...], audiences: [...] } (and jwks to verify signatures before STS does)");
  }
  if (tpl.web_identity !== undefined) lintWebIdentity(tpl.web_identity, (path, msg) => err(["web_identity", ...path], msg));
  if (tpl.kind === "saml" && tpl.saml_provider_arn === undefined) {
    warn([], "saml templates should pin saml_provider_arn: without it the request names the provider (any SAML provider of the role's account)");
  }
  if (tpl.saml_provider_arn !== undefined && !SAML_PROVIDER_ARN_PATTERN.test(tpl.saml_provider_arn)) {
    err(["saml_provider_arn"], `${preview(tpl.saml_provider_arn)} is not a SAML provider ARN (arn:aws:iam::<account>:saml-provider/<name>)`);
  }
  (tpl.policy_arns ?? []).forEach((arn, i) => {
    if (!POLICY_ARN_PATTERN.test(arn)) err(["policy_arns", i], `${preview(arn)} is not a managed policy ARN (arn:aws:iam::<account or aws>:policy/<name>)`);
  });
  if ((tpl.policy_arns?.length ?? 0) > MAX_POLICY_ARNS) err(["policy_arns"], `${tpl.policy_arns?.length} policy ARNs; STS takes at most ${MAX_POLICY_ARNS}`);
  if (tpl.kind === "federation_token" && tpl.policy === undefined && (tpl.policy_arns?.length ?? 0) === 0) {
    err([], "a federation_token session without policy or policy_arns has no permissions; add a policy");
  }
  if (tpl.external_id !== undefined) {
    const literal = parseTemplateString(tpl.external_id).map((p) => ("text" in p ? p.text : "")).join("");
    if (!/^[\w+=,.@:/-]*$/.test(literal)) err(["external_id"], `${preview(tpl.external_id)} has characters STS refuses in an external id (allowed: [\\w+=,.@:/-])`);
    // The external id is how a customer's role tells its own requests from other tenants' (the
    // confused deputy): rendered from a value the request supplies, any tenant could send another's.
    for (const v of variablesIn(tpl.external_id)) {
      if (!(EXTERNAL_ID_VARIABLES as readonly string[]).includes(v)) {
        err(["external_id"], `{{${v}}} lets the request choose the external id, so one tenant could send another's; use ${EXTERNAL_ID_VARIABLES.map((x) => `{{${x}}}`).join(" or ")} and literal text`);
      }
    }
  }
  if (tpl.federation_name !== undefined) {
    // STS's Name is [\w+=,.@-]: literal text, and values of types that may hold ':' or '/', break it.
    const parts = parseTemplateString(tpl.federation_name);
    const literal = parts.map((p) => ("text" in p ? p.text : "")).join("");
    if (!/^[\w+=,.@-]*$/.test(literal)) err(["federation_name"], `${preview(tpl.federation_name)} has characters STS refuses in a federation name (allowed: [\\w+=,.@-])`);
    for (const p of parts) {
      if (!("variable" in p)) continue;
      const spec = Object.hasOwn(tpl.params ?? {}, p.variable) ? tpl.params?.[p.variable] : undefined;
      const risky = spec?.type === "arn" || spec?.type === "s3_prefix" || (spec?.type === "enum" && spec.values.some((v) => /[:/]/.test(v)));
      if (risky) err(["federation_name"], `{{${p.variable}}} can hold ':' or '/', which STS refuses in a federation name`);
      // The name is the federated user's identity (its ARN, aws:userid, what resource policies
      // name): a value the request types in would let one caller become another's federated user.
      else if (spec !== undefined && spec.type !== "enum") err(["federation_name"], `{{${p.variable}}} lets the request choose the federated user's name, so one caller could become another's (federated-user/<name> in resource policies); build it from {{tenant}}, {{principal}} and literal text (or an enum)`);
    }
    const vars = new Set(parts.flatMap((p) => ("variable" in p ? [p.variable] : [])));
    if (vars.has("tenant") && vars.has("principal") && !separatesNames(parts)) warn(["federation_name"], "{{tenant}} and {{principal}} are joined by nothing outside the name alphabet (a-z, 0-9, '-', '_'), so two tenant/principal pairs can render one name (a-b + c and a + b-c); separate them with '.' or '@'");
    if (!vars.has("tenant")) warn(["federation_name"], "names no {{tenant}}: principal names are unique only within a tenant, so two tenants' principals of one name would be one federated user; include {{tenant}} (the default is <caller tenant>.<principal>)");
  }
  if (OWN_CREDENTIAL_KINDS.includes(tpl.kind) && tpl.credential_source === undefined) {
    // Called with the worker's own credentials, GetSessionToken / GetFederationToken would hand
    // the requester a session of the worker's own identity (KMS, config, every template's role).
    err([], `${tpl.kind} templates need credential_source: { profile: <AWS profile of the IAM user this template vends for> }; without one the worker's own identity would be handed out`);
  }
  if (tpl.reuse !== undefined && tpl.mfa?.required) err(["reuse"], "credentials obtained with MFA are never reused; remove reuse or mfa");

  lintDuration(tpl, options, err);
  lintParams(tpl, err, warn);
  lintVariables(name, tpl, out, err, warn);
  if (tpl.policy !== undefined) {
    out.push(...lintPolicyText(tpl.policy, [...base, "policy"]), ...lintPolicy(tpl.policy, [...base, "policy"], tpl.allow_wildcards ?? false, tpl.params));
  }
  out.push(...lintTags(name, tpl));
  // Size needs every variable known; skip it when lint already found unknown ones.
  if (!out.some((p) => p.severity === "error" && p.message.startsWith("unknown variable"))) {
    const size = worstCaseSize(tpl);
    if (size.plaintextChars > MAX_POLICY_CHARS) {
      err(["policy"], `worst-case rendered policy plus policy ARNs is ${size.plaintextChars} characters (every parameter at its max_length); STS allows ${MAX_POLICY_CHARS}. Lower max_length of parameters or shorten the policy`);
    }
    if (size.packedBytes > PACKED_BUDGET_BYTES) {
      err(["policy"], `estimated packed size of policy, policy ARNs and session tags is ${size.packedBytes} bytes, over credvend's ${PACKED_BUDGET_BYTES}-byte estimate of STS's packed limit; use fewer or shorter tags and parameters`);
    }
  }
  return out;
}

/** Whether some literal character outside the tenant/principal alphabet lies between the two. */
function separatesNames(parts: ReturnType<typeof parseTemplateString>): boolean {
  const at = (v: string) => parts.findIndex((p) => "variable" in p && p.variable === v);
  const [from, to] = [at("tenant"), at("principal")].sort((a, b) => a - b) as [number, number];
  return parts.slice(from + 1, to).some((p) => "text" in p && /[^a-z0-9_-]/.test(p.text));
}

function lintDuration(tpl: Template, options: LintOptions, err: (p: PathSegment[], m: string) => void): void {
  const range = DURATION_RANGES[tpl.kind];
  const chained = tpl.kind === "assume_role" && options.vendorUsesRoleCredentials === true;
  for (const which of ["default", "max"] as const) {
    const v = tpl.duration?.[which];
    if (v === undefined) continue;
    if (v < range.min || v > range.max) err(["duration", which], `${v} is outside ${range.min}-${range.max} seconds, the STS range for ${tpl.kind}`);
    else if (chained && v > ROLE_CHAINING_MAX_SECONDS) err(["duration", which], `${v} is over ${ROLE_CHAINING_MAX_SECONDS}: the vendor runs on role credentials and role chaining caps sessions at 1 hour`);
  }
  const d = tpl.duration;
  if (d?.default !== undefined && d.max !== undefined && d.default > d.max) err(["duration", "default"], `default ${d.default} is above max ${d.max}`);
}

function lintParams(tpl: Template, err: (p: PathSegment[], m: string) => void, warn: (p: PathSegment[], m: string) => void): void {
  for (const [pname, spec] of Object.entries(tpl.params ?? {})) {
    const at: PathSegment[] = ["params", pname];
    if ((BUILTINS as readonly string[]).includes(pname)) err(at, `"${pname}" is a built-in variable; rename the parameter`);
    if (spec.type === "integer" && spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) err([...at, "min"], `min ${spec.min} is above max ${spec.max}`);
    if (spec.type === "enum") {
      spec.values.forEach((v, i) => {
        if (!ENUM_ALPHABET.test(v) || v.includes("..")) err([...at, "values", i], `${preview(v)} has characters outside [A-Za-z0-9_.@+=:/-] or '..'`);
      });
    }
    if (spec.default !== undefined) {
      const bad = checkParamValue(spec, spec.default);
      if (bad !== undefined) err([...at, "default"], `the default ${bad}`);
    }
    if (spec.required === false && spec.default === undefined) err(at, "an optional parameter needs a default (a variable must always render to a validated value)");
    if (spec.required === true && spec.default !== undefined) warn([...at, "default"], "a required parameter never uses its default");
  }
}

function lintVariables(name: string, tpl: Template, out: Problem[], err: (p: PathSegment[], m: string) => void, warn: (p: PathSegment[], m: string) => void): void {
  const known = knownVariables(tpl);
  const used = new Set<string>();
  for (const { source, path } of templateStrings(name, tpl)) {
    if (hasMalformedPlaceholder(source)) out.push(problem("error", path, `${preview(source)} has a malformed placeholder; write {{name}}`));
    for (const v of variablesIn(source)) {
      used.add(v);
      if (!known.has(v)) out.push(problem("error", path, `unknown variable {{${v}}}; declare it under params or use a built-in (${BUILTINS.join(", ")})`));
    }
  }
  for (const pname of Object.keys(tpl.params ?? {})) {
    if (!used.has(pname)) warn(["params", pname], "parameter is never used in the policy, tags, external_id or federation_name");
  }
  if (tpl.reuse !== undefined && used.has("request_id")) err(["reuse"], "the template uses {{request_id}}, so no two requests render the same and reuse never applies");
}

/** Members each public key type needs (RFC 7518 section 6); a private member means a leaked key. */
const JWK_PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = { RSA: ["n", "e"], EC: ["crv", "x", "y"] };
const JWK_PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"];

function lintWebIdentity(check: NonNullable<Template["web_identity"]>, err: (path: PathSegment[], msg: string) => void): void {
  check.issuers.forEach((issuer, i) => {
    // IAM OIDC providers are https only, and a token's iss is compared as an exact string.
    if (!/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(issuer)) err(["issuers", i], `${preview(issuer)} is not an https issuer URL without query or fragment, as IAM OIDC providers require`);
    else if (issuer.endsWith("/")) err(["issuers", i], `${preview(issuer)} ends in '/': write it exactly as the tokens' iss claim does (usually without)`);
  });
  (check.jwks?.keys ?? []).forEach((key, i) => {
    const fields = key as Readonly<Record<string, unknown>>;
    const needed = JWK_PUBLIC_MEMBERS[key.kty];
    if (needed === undefined) err(["jwks", "keys", i, "kty"], `${preview(key.kty)} is not a key type STS verifies (RSA or EC)`);
    else for (const m of needed) if (typeof fields[m] !== "string") err(["jwks", "keys", i], `an ${key.kty} public key needs "${m}"`);
    const secret = JWK_PRIVATE_MEMBERS.filter((m) => m in fields);
    if (secret.length > 0) err(["jwks", "keys", i], `holds private key members (${secret.join(", ")}); put only the IdP's public keys here, and replace that key`);
  });
}
