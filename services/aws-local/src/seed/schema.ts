// The seed file format (YAML or a JS object of the same shape). snake_case keys, as in the YAML.
// Unknown keys are rejected so a typo does not silently seed nothing. `oidc_providers` and
// `saml_providers` are the identity providers AssumeRoleWithWebIdentity / AssumeRoleWithSAML trust.
import { z } from "zod";
import { policyDocumentProblem, type PolicyKind } from "../core/policy-document.js";
import type { PolicyDocument } from "../types.js";

/** A policy as an object, or as a JSON string (handy when pasting from the AWS console). */
const policyDocument = (kind: PolicyKind) =>
  z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .transform((value, ctx): PolicyDocument => {
    let parsed: unknown = value;
    if (typeof value === "string") {
      try {
        parsed = JSON.parse(value);
      } catch {
        ctx.addIssue({ code: "custom", message: "policy text is not valid JSON" });
        return z.NEVER;
      }
    }
    const problem = policyDocumentProblem(parsed, kind);
    if (problem !== undefined) {
      ctx.addIssue({ code: "custom", message: problem });
      return z.NEVER;
    }
    return parsed as PolicyDocument;
  });

const name = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\w+=,.@-]+$/, "must match [\\w+=,.@-]+");

const tags = z.record(z.string().min(1).max(128), z.string().max(256)).default({});

const namedPolicy = z.object({ name: name(128), document: policyDocument("identity") }).strict();

const MANAGED_POLICY_ARN = /^arn:aws:iam::(\d{12}|aws):policy\/.+$/;
const MANAGED_POLICY_ARN_HINT = "must be arn:aws:iam::<account|aws>:policy/<name>";

/**
 * A user's or role's permissions boundary: a managed policy of this seed (`managed_policies`), as IAM
 * takes only a managed policy ARN. Its document limits what the identity policies grant.
 */
const permissionsBoundary = z.string().regex(MANAGED_POLICY_ARN, MANAGED_POLICY_ARN_HINT).optional();

const accessKey = z
  .object({
    access_key_id: z.string().regex(/^AKIA[A-Z0-9]{16}$/, "must be AKIA followed by 16 of [A-Z0-9] (20 characters)"),
    secret_access_key: z.string().min(16).max(128),
  })
  .strict();

const mfaDevice = z
  .object({
    serial: z.string().min(9).max(256).regex(/^[\w+=/:,.@-]+$/, "must match [\\w+=/:,.@-]+"),
    totp_secret: z
      .string()
      .regex(/^[A-Z2-7]+=*$/, "must be base32 (A-Z, 2-7)")
      .min(16, "must be at least 16 base32 characters (80 bits)"),
  })
  .strict();

const user = z
  .object({
    name: name(64),
    path: z.string().regex(/^\/([\w+=,.@-]+\/)*$/, "must start and end with /").default("/"),
    access_keys: z.array(accessKey).default([]),
    tags,
    mfa_devices: z.array(mfaDevice).default([]),
    policies: z.array(namedPolicy).default([]),
    permissions_boundary: permissionsBoundary,
  })
  .strict();

const role = z
  .object({
    name: name(64),
    path: z.string().regex(/^\/([\w+=,.@-]+\/)*$/, "must start and end with /").default("/"),
    trust_policy: policyDocument("trust"),
    max_session_duration: z.number().int().min(3600).max(43200).default(3600),
    tags,
    policies: z.array(namedPolicy).default([]),
    permissions_boundary: permissionsBoundary,
  })
  .strict();

const managedPolicy = z
  .object({
    arn: z.string().regex(MANAGED_POLICY_ARN, MANAGED_POLICY_ARN_HINT),
    document: policyDocument("identity"),
  })
  .strict();

const kmsKey = z
  .object({
    id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "must be a lowercase UUID"),
    description: z.string().max(8192).optional(),
    aliases: z
      .array(z.string().regex(/^alias\/(?!aws\/)[a-zA-Z0-9:/_-]+$/, "must be alias/<name> (not alias/aws/…)"))
      .default([]),
    policy: policyDocument("key").optional(),
    enabled: z.boolean().default(true),
    material: z
      .string()
      .refine((s) => Buffer.from(s, "base64").length === 32 && /^[A-Za-z0-9+/]+={0,2}$/.test(s), "must be base64 of 32 bytes")
      .optional(),
  })
  .strict();

const jwk = z.record(z.string(), z.unknown());

/** An IAM OIDC identity provider (arn:aws:iam::<acct>:oidc-provider/<url without https://>). */
const oidcProvider = z
  .object({
    url: z
      .string()
      .max(255)
      .regex(/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, "must be the issuer URL, https://host[/path] (no query or fragment)")
      .refine((u) => !u.endsWith("/"), "must not end with /"),
    client_ids: z.array(z.string().min(1).max(255)).min(1, "list at least one client id (audience)").max(100),
    // Exactly one of the two: the signing keys themselves, or where to read them.
    jwks: z.object({ keys: z.array(jwk).min(1) }).strict().optional(),
    jwks_uri: z
      .string()
      .regex(
        /^(file:\/\/\/.+|http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/.*)$/,
        "must be file:///path or an http:// URL on 127.0.0.1, localhost or [::1] (aws-local makes no other network calls)",
      )
      .optional(),
    tags: z.record(z.string(), z.string()).default({}),
  })
  .strict()
  .refine((p) => (p.jwks === undefined) !== (p.jwks_uri === undefined), "give exactly one of jwks (inline) or jwks_uri");

/** An IAM SAML provider (arn:aws:iam::<acct>:saml-provider/<name>). */
const samlProvider = z
  .object({
    name: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[\w._-]+$/, "must match [\\w._-]+"),
    // The IdP's metadata document (its entityID and signing certificate are read from it), or the
    // signing certificate (PEM) plus the issuer (entity id) directly.
    metadata_xml: z.string().min(1).max(10_000_000).optional(),
    certificate: z.string().regex(/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/, "must be a PEM certificate").optional(),
    issuer: z.string().min(1).max(1024).optional(),
  })
  .strict()
  .refine((p) => (p.metadata_xml === undefined) !== (p.certificate === undefined), "give exactly one of metadata_xml or certificate")
  .refine((p) => p.certificate === undefined || p.issuer !== undefined, "with certificate, also give issuer (the IdP's entity id)");

const accountFields = {
  account_id: z.string().regex(/^\d{12}$/, "must be 12 digits"),
  users: z.array(user).default([]),
  roles: z.array(role).default([]),
  managed_policies: z.array(managedPolicy).default([]),
  kms_keys: z.array(kmsKey).default([]),
  oidc_providers: z.array(oidcProvider).default([]),
  saml_providers: z.array(samlProvider).default([]),
};

/** Another account in the same seed (cross-account trust and key policies). */
const otherAccount = z.object(accountFields).strict();

export const seedSchema = z
  .object({
    ...accountFields,
    accounts: z.array(otherAccount).default([]),
  })
  .strict();

/** A seed as written (YAML / JS input; defaults may be omitted). */
export type SeedInput = z.input<typeof seedSchema>;
/** A validated seed with defaults filled in. */
export type Seed = z.output<typeof seedSchema>;
export type SeedUser = Seed["users"][number];
export type SeedRole = Seed["roles"][number];
export type SeedOidcProvider = Seed["oidc_providers"][number];
export type SeedSamlProvider = Seed["saml_providers"][number];
/** One account's part of a seed (the top-level account or one of `accounts`). */
export type SeedAccount = Omit<Seed, "accounts">;
