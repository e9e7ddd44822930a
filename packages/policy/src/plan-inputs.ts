// Checks on the request's own fields, before anything is rendered. Messages never repeat a
// secret (token code, web identity token, SAML assertion).
import { CredvendError, isValidName, isValidRequestId, REQUEST_ID_PATTERN } from "@credvend/protocol";
import type { Template } from "./schema.js";
import { checkParamValue, isRequired } from "./params.js";
import { preview } from "./problems.js";
import {
  MAX_PARAM_NAME_CHARS, MAX_PARAM_VALUE_CHARS, MAX_REQUEST_PARAMS, MAX_TEMPLATE_NAME_CHARS, MFA_SERIAL_PATTERN, MFA_TOKEN_PATTERN,
  PROVIDER_ID_LENGTH, REQUEST_DURATION_RANGE, SAML_ASSERTION_LENGTH, SAML_PROVIDER_ARN_PATTERN, WEB_IDENTITY_TOKEN_LENGTH,
} from "./limits.js";

export interface VendInput {
  tenant: string;
  principal: string;
  requestId: string;
  template: string;
  params: Readonly<Record<string, string>>;
  /** 0 or undefined: the template's default (capped by the access rule). */
  durationSeconds?: number;
  /** Act for this tenant (must be allowed by an access rule's on_behalf_of). */
  onBehalfOf?: string;
  mfa?: { serialNumber: string; tokenCode: string };
  federation?: { webIdentityToken?: string; providerId?: string; samlAssertion?: string; samlProviderArn?: string };
  /** The reply is to be sealed to the requester's own X25519 key (the allowing rule must permit it). */
  sealedReply?: boolean;
}

/**
 * The request's own fields, checked the same way by the worker's validate stage (before any
 * config is consulted) and by planRequest (so the dry run refuses what a worker refuses). The
 * bounds are the constants in limits.ts; this is their only check.
 */
export function checkRequestFields(input: VendInput): void {
  if (!isValidName(input.tenant) || !isValidName(input.principal)) {
    throw new CredvendError("CV_ERR_REQUEST_SUBJECT", "tenant and principal must be 1-64 of a-z, 0-9, '-' and '_'");
  }
  checkRequestId(input.requestId);
  if (!input.template) throw invalid("template", "is required: name the template to use");
  if (input.template.length > MAX_TEMPLATE_NAME_CHARS) throw invalid("template", `is longer than ${MAX_TEMPLATE_NAME_CHARS} characters`);
  const names = Object.keys(input.params);
  if (names.length > MAX_REQUEST_PARAMS) throw invalid("params", `has ${names.length} entries; at most ${MAX_REQUEST_PARAMS} are accepted`);
  for (const name of names) {
    if (name.length === 0 || name.length > MAX_PARAM_NAME_CHARS) throw invalid("params", `parameter names must be 1-${MAX_PARAM_NAME_CHARS} characters`);
    const value = input.params[name];
    if (typeof value === "string" && value.length > MAX_PARAM_VALUE_CHARS) throw invalid(`params.${name}`, `is longer than ${MAX_PARAM_VALUE_CHARS} characters`);
  }
  checkDuration(input.durationSeconds);
  if (input.onBehalfOf !== undefined && input.onBehalfOf !== "" && !isValidName(input.onBehalfOf)) {
    throw invalid("on_behalf_of", `${preview(input.onBehalfOf)} is not a tenant name (1-64 of a-z, 0-9, '-' and '_')`);
  }
}

export function checkRequestId(requestId: string): void {
  if (!requestId) throw invalid("request_id", "is required: set a unique id per request (e.g. a UUID) and reuse it only for retries");
  if (!isValidRequestId(requestId)) throw invalid("request_id", `must match ${REQUEST_ID_PATTERN} (8-128 of A-Z a-z 0-9 _ -)`);
}

function invalid(field: string, message: string): CredvendError {
  return new CredvendError("CV_ERR_REQUEST_FIELD", `${field}: ${message}`, { field });
}

/** "" and the caller's own tenant both mean "no on-behalf". checkRequestFields vetted the name. */
export function effectiveTenantOf(input: VendInput): string {
  const target = input.onBehalfOf;
  if (target === undefined || target === "" || target === input.tenant) return input.tenant;
  return target;
}

/** 0 or undefined is the template's default; anything else must fit some kind's STS range. */
function checkDuration(value: number | undefined): void {
  if (value === undefined || value === 0) return;
  const { min, max } = REQUEST_DURATION_RANGE;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CredvendError("CV_ERR_DURATION_INVALID", `duration_seconds ${preview(value)} is outside ${min}-${max} (or 0 for the template's default)`, { field: "duration_seconds" });
  }
}

/** Every parameter validated against its type; defaults filled in. */
export function resolveParams(templateName: string, tpl: Template, given: Readonly<Record<string, string>>): Map<string, string> {
  const specs = tpl.params ?? {};
  const out = new Map<string, string>();
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(specs, name)) {
      const known = Object.keys(specs);
      throw new CredvendError("CV_ERR_PARAM_UNKNOWN", `template ${templateName} has no parameter ${preview(name)}${known.length > 0 ? `; it takes ${known.join(", ")}` : "; it takes none"}`, { field: `params.${name.slice(0, 64)}` });
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    const value = Object.hasOwn(given, name) ? given[name] : spec.default;
    if (value === undefined) {
      if (isRequired(spec)) throw new CredvendError("CV_ERR_PARAM_MISSING", `template ${templateName} needs parameter ${name}${spec.description ? ` (${spec.description})` : ""}`, { field: `params.${name}` });
      continue;
    }
    if (typeof value !== "string") throw new CredvendError("CV_ERR_PARAM_INVALID", `parameter ${name} must be a string`, { field: `params.${name}` });
    const bad = checkParamValue(spec, value);
    if (bad !== undefined) throw new CredvendError("CV_ERR_PARAM_INVALID", `parameter ${name}: ${bad}`, { field: `params.${name}` });
    out.set(name, value);
  }
  return out;
}

export interface MfaValues {
  serialNumber?: string;
  tokenCode?: string;
}

export function checkMfa(templateName: string, tpl: Template, input: VendInput): MfaValues {
  const mfa = input.mfa;
  const given = mfa !== undefined && (mfa.serialNumber !== "" || mfa.tokenCode !== "");
  if (!given) {
    if (tpl.mfa?.required) throw new CredvendError("CV_ERR_MFA_REQUIRED", `template ${templateName} requires MFA; send mfa.serial_number and mfa.token_code`, { field: "mfa" });
    return {};
  }
  if (!MFA_SERIAL_PATTERN.test(mfa.serialNumber)) {
    throw new CredvendError("CV_ERR_REQUEST_FIELD", "mfa.serial_number must be 9-256 of [\\w+=/:,.@-] (a device serial or an MFA ARN)", { field: "mfa.serial_number" });
  }
  if (!MFA_TOKEN_PATTERN.test(mfa.tokenCode)) throw new CredvendError("CV_ERR_REQUEST_FIELD", "mfa.token_code must be exactly 6 digits", { field: "mfa.token_code" });
  // Kinds whose STS call has no MFA input ignore it rather than pretend it was checked.
  if (tpl.kind !== "assume_role" && tpl.kind !== "session_token") return {};
  return { serialNumber: mfa.serialNumber, tokenCode: mfa.tokenCode };
}

function lengthOk(v: string | undefined, range: { min: number; max: number }): v is string {
  return v !== undefined && v.length >= range.min && v.length <= range.max;
}

export function webIdentityInput(templateName: string, input: VendInput): { webIdentityToken: string; providerId?: string } {
  const f = input.federation ?? {};
  if (!lengthOk(f.webIdentityToken, WEB_IDENTITY_TOKEN_LENGTH)) {
    throw new CredvendError("CV_ERR_FEDERATION_INPUT", `template ${templateName} needs federation.web_identity_token (${WEB_IDENTITY_TOKEN_LENGTH.min}-${WEB_IDENTITY_TOKEN_LENGTH.max} characters)`, { field: "federation.web_identity_token" });
  }
  if (f.providerId === undefined || f.providerId === "") return { webIdentityToken: f.webIdentityToken };
  if (!lengthOk(f.providerId, PROVIDER_ID_LENGTH) || !/^[\x21-\x7e]+$/.test(f.providerId)) {
    throw new CredvendError("CV_ERR_FEDERATION_INPUT", "federation.provider_id must be 4-2048 printable characters (OAuth 2.0 providers only; omit it for OIDC)", { field: "federation.provider_id" });
  }
  return { webIdentityToken: f.webIdentityToken, providerId: f.providerId };
}

export function samlInput(templateName: string, tpl: Template, input: VendInput): { samlAssertion: string; principalArn: string } {
  const f = input.federation ?? {};
  if (!lengthOk(f.samlAssertion, SAML_ASSERTION_LENGTH)) {
    throw new CredvendError("CV_ERR_FEDERATION_INPUT", `template ${templateName} needs federation.saml_assertion (base64, ${SAML_ASSERTION_LENGTH.min}-${SAML_ASSERTION_LENGTH.max} characters)`, { field: "federation.saml_assertion" });
  }
  const requested = f.samlProviderArn === "" ? undefined : f.samlProviderArn;
  if (tpl.saml_provider_arn !== undefined && requested !== undefined && requested !== tpl.saml_provider_arn) {
    throw new CredvendError("CV_ERR_FEDERATION_INPUT", `template ${templateName} only accepts SAML provider ${tpl.saml_provider_arn}`, { field: "federation.saml_provider_arn" });
  }
  const principalArn = tpl.saml_provider_arn ?? requested;
  if (principalArn === undefined || !SAML_PROVIDER_ARN_PATTERN.test(principalArn)) {
    throw new CredvendError("CV_ERR_FEDERATION_INPUT", "federation.saml_provider_arn must be a SAML provider ARN (arn:aws:iam::<account>:saml-provider/<name>)", { field: "federation.saml_provider_arn" });
  }
  // A provider the requester names (the template pins none) must at least sit in the role's own
  // partition and account, where the role's trust policy can name it: any other is the requester
  // choosing whose IdP vouches for it, and would only cost an STS call.
  const account = accountPrefix(tpl.role_arn ?? "");
  if (tpl.saml_provider_arn === undefined && (account === undefined || accountPrefix(principalArn) !== account)) {
    throw new CredvendError("CV_ERR_FEDERATION_INPUT", `federation.saml_provider_arn must be a SAML provider of the account of template ${templateName}'s role (${account ?? "none"}saml-provider/<name>)`, { field: "federation.saml_provider_arn" });
  }
  return { samlAssertion: f.samlAssertion, principalArn };
}

/** "arn:<partition>:iam::<account>:" of an IAM ARN, or undefined. */
function accountPrefix(arn: string): string | undefined {
  return /^arn:[a-z-]+:iam::\d{12}:/.exec(arn)?.[0];
}
