// The config file's schema. Unknown keys are errors everywhere (strict objects), so a typo never
// silently drops a restriction. Checks that need more than one field live in lint*.ts, which
// report the exact path; this file only says what each key may hold.
import { z } from "zod";
import { MAX_PARAM_VALUE_CHARS, TEMPLATE_KINDS } from "./limits.js";
import { patternProblem } from "./pattern.js";

/** Template, tenant and principal names: same alphabet as the protocol's NAME_PATTERN. */
export const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Parameter names: lower-case identifiers (so `__proto__` and friends can never be one). */
export const PARAM_NAME = /^[a-z][a-z0-9_]{0,63}$/;
/** Globs over names: the name alphabet plus `*` and `?`. */
const GLOB = /^[a-z0-9_*?-]{1,64}$/;
const ENV_REF = /^\$[A-Za-z_][A-Za-z0-9_]*$/;
const NKEY_USER = /^U[A-Z2-7]{55}$/;

const name = (what: string) => z.string().regex(NAME, `${what} must be 1-64 of a-z, 0-9, '-', '_' starting with a letter or digit`);
const glob = z.string().regex(GLOB, "globs use a-z, 0-9, '-', '_', '*' (any run) and '?' (one character)");
const globList = z.array(glob).min(1, "list at least one glob (use \"*\" for any)");
const posInt = z.number().int().positive();

/** Matched with RE2 (linear time): see pattern.ts. The message says what to change. */
const validRegex = z.string().min(1).superRefine((source, ctx) => {
  const bad = patternProblem(source);
  if (bad !== undefined) ctx.addIssue({ code: "custom", message: `pattern ${bad}` });
});

const defaultValue = z.union([z.string(), z.number().int()]).transform((v) => String(v));
const paramCommon = {
  description: z.string().optional(),
  required: z.boolean().optional(),
  default: defaultValue.optional(),
};
const maxLength = z.number().int().min(1).max(MAX_PARAM_VALUE_CHARS);
const stringList = (item: z.ZodString) => z.union([item, z.array(item).min(1)]).transform((v) => (typeof v === "string" ? [v] : v));

const stringParam = z.strictObject({ type: z.literal("string"), pattern: validRegex.optional(), min_length: z.number().int().min(1).max(MAX_PARAM_VALUE_CHARS).optional(), max_length: maxLength.optional(), ...paramCommon });
const enumParam = z.strictObject({ type: z.literal("enum"), values: z.array(z.string().min(1)).min(1), ...paramCommon });
const integerParam = z.strictObject({ type: z.literal("integer"), min: z.number().int().optional(), max: z.number().int().optional(), ...paramCommon });
const arnParam = z.strictObject({
  type: z.literal("arn"),
  service: stringList(z.string().regex(/^[a-z0-9-]+$/, "an AWS service prefix such as s3 or dynamodb")).optional(),
  account: stringList(z.string().regex(/^\d{12}$/, "a 12-digit account id")).optional(),
  pattern: validRegex.optional(),
  max_length: maxLength.optional(),
  ...paramCommon,
});
const s3PrefixParam = z.strictObject({ type: z.literal("s3_prefix"), pattern: validRegex.optional(), max_length: maxLength.optional(), ...paramCommon });

/** A parameter without `type` is a string (the issue-3 format has none). */
export const paramSchema = z.preprocess(
  (v) => (v !== null && typeof v === "object" && !Array.isArray(v) && !("type" in v) ? { type: "string", ...v } : v),
  z.discriminatedUnion("type", [stringParam, enumParam, integerParam, arnParam, s3PrefixParam]),
);

const conditionValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))]);
const stringOrList = z.union([z.string(), z.array(z.string()).min(1)]);
export const statementSchema = z.strictObject({
  Sid: z.string().optional(),
  Effect: z.enum(["Allow", "Deny"]),
  Action: stringOrList.optional(),
  NotAction: stringOrList.optional(),
  Resource: stringOrList.optional(),
  NotResource: stringOrList.optional(),
  Condition: z.record(z.string(), z.record(z.string(), conditionValue)).optional(),
});
export const policySchema = z.strictObject({
  Version: z.enum(["2012-10-17", "2008-10-17"]).optional(),
  Id: z.string().optional(),
  Statement: z.union([statementSchema, z.array(statementSchema).min(1)]),
});

/**
 * The long-term IAM user credential a session_token / federation_token template calls STS with:
 * a profile in the worker's AWS shared config/credentials files. Only the profile's name is in the
 * config, never a key. Without it such a template would hand out the worker's own identity.
 */
const credentialSourceSchema = z.strictObject({
  profile: z.string().regex(/^[A-Za-z0-9_.+@-]{1,64}$/, "an AWS shared-config profile name: 1-64 of A-Z, a-z, 0-9 and _.+@-"),
});

/**
 * What the worker checks in a web identity token before spending an STS call on it. STS checks
 * everything again; these only let junk fail early. `jwks` (public keys, as the IdP publishes
 * them) makes the worker verify the signature too; without it the signature is STS's alone.
 */
const jwkSchema = z.looseObject({ kty: z.string().min(1), kid: z.string().optional(), alg: z.string().optional() });
const webIdentityCheckSchema = z.strictObject({
  issuers: z.array(z.string().url("an issuer URL, exactly as the tokens' iss claim writes it")).min(1),
  audiences: z.array(z.string().min(1)).min(1),
  jwks: z.strictObject({ keys: z.array(jwkSchema).min(1) }).optional(),
});

export const templateSchema = z.strictObject({
  kind: z.enum(TEMPLATE_KINDS as [string, ...string[]]).transform((k) => k as (typeof TEMPLATE_KINDS)[number]),
  description: z.string().optional(),
  role_arn: z.string().optional(),
  saml_provider_arn: z.string().optional(),
  duration: z.strictObject({ default: posInt.optional(), max: posInt.optional() }).optional(),
  params: z.record(z.string().regex(PARAM_NAME, "parameter names are a-z, 0-9 and '_', starting with a letter"), paramSchema).optional(),
  policy: policySchema.optional(),
  policy_arns: z.array(z.string()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  transitive_tag_keys: z.array(z.string()).optional(),
  source_identity: z.boolean().optional(),
  external_id: z.string().optional(),
  mfa: z.strictObject({ required: z.boolean() }).optional(),
  allow_wildcards: z.boolean().optional(),
  federation_name: z.string().optional(),
  reuse: z.strictObject({ min_remaining_seconds: posInt }).optional(),
  credential_source: credentialSourceSchema.optional(),
  web_identity: webIdentityCheckSchema.optional(),
});

const rateLimit = z.strictObject({ per_second: z.number().positive(), burst: posInt });

/** Access-rule parameter constraint: a list (allowed values), a string (exact value or binding), or an object. */
export const paramConstraintSchema = z.union([
  z.array(z.string()).min(1),
  z.string(),
  z.strictObject({ values: z.array(z.string()).min(1).optional(), pattern: validRegex.optional(), equals: z.string().optional() }),
]);

export const accessRuleSchema = z.strictObject({
  name: name("rule name").optional(),
  effect: z.enum(["allow", "deny"]).optional(),
  tenants: globList,
  principals: globList,
  templates: globList,
  on_behalf_of: globList.optional(),
  params: z.record(z.string(), paramConstraintSchema).optional(),
  max_duration: posInt.optional(),
  rate_limit: rateLimit.optional(),
  /**
   * Web identity and SAML templates: token claims (for SAML, "NameID" or an Attribute Name) that
   * must equal these values (a literal, or a binding such as "{{tenant}}:{{principal}}"), so one
   * caller can not spend another's token or assertion. Lint refuses bindings the caller controls.
   */
  claims: z.record(z.string().regex(/^[A-Za-z0-9_:./-]{1,128}$/, "a JWT claim name such as sub or email"), z.string().min(1)).optional(),
  /**
   * Whether requests this rule allows may ask for a reply sealed to their own X25519 key instead of
   * a KMS envelope. Default deny: a sealed reply needs no AWS identity to open, so the principal's
   * NATS credential alone then yields its AWS credentials.
   */
  sealed_replies: z.enum(["allow", "deny"]).optional(),
});

export const identitySchema = z.strictObject({
  tenant: name("tenant"),
  principal: name("principal"),
  user: z.string().min(1).max(256).optional(),
  password: z.string().regex(ENV_REF, "write a $ENV_VAR reference (nats-server reads it from its environment), never the password itself").optional(),
  nkey: z.string().regex(NKEY_USER, "an nkey user public key (U followed by 55 base32 characters)").optional(),
});

export const configSchema = z.strictObject({
  templates: z.record(name("template name"), templateSchema),
  access: z.array(accessRuleSchema).optional(),
  rate_limits: z.strictObject({
    per_principal: rateLimit.optional(),
    per_tenant: rateLimit.optional(),
    per_template: z.record(name("template name"), rateLimit).optional(),
  }).optional(),
  identities: z.array(identitySchema).optional(),
});

type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** A validated config. parseConfig returns it deep-frozen. */
export type CredvendConfig = DeepReadonly<z.output<typeof configSchema>>;
export type Template = CredvendConfig["templates"][string];
export type ParamSpec = NonNullable<Template["params"]>[string];
export type PolicyDocument = NonNullable<Template["policy"]>;
export type AccessRule = NonNullable<CredvendConfig["access"]>[number];
export type ParamConstraint = NonNullable<AccessRule["params"]>[string];
export type RateLimitSpec = NonNullable<NonNullable<CredvendConfig["rate_limits"]>["per_principal"]>;
export type WebIdentityCheck = NonNullable<Template["web_identity"]>;
export type IdentitySpec = NonNullable<CredvendConfig["identities"]>[number];
