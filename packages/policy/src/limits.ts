// STS limits the templates are checked against (see shared/facts/aws-sts-kms.md section 1).
// One table, so lint, rendering and the docs agree on the numbers.
import { MAX_REQUEST_PARAM_ENTRIES } from "@credvend/protocol";

export type TemplateKind = "assume_role" | "web_identity" | "saml" | "session_token" | "federation_token";

export const TEMPLATE_KINDS: readonly TemplateKind[] = [
  "assume_role", "web_identity", "saml", "session_token", "federation_token",
];

export interface DurationRange {
  readonly min: number;
  readonly max: number;
  /** What STS uses when DurationSeconds is omitted; credvend always sends one. */
  readonly stsDefault: number;
}

export const DURATION_RANGES: Readonly<Record<TemplateKind, DurationRange>> = {
  assume_role: { min: 900, max: 43200, stsDefault: 3600 },
  web_identity: { min: 900, max: 43200, stsDefault: 3600 },
  saml: { min: 900, max: 43200, stsDefault: 3600 },
  session_token: { min: 900, max: 129600, stsDefault: 43200 },
  federation_token: { min: 900, max: 129600, stsDefault: 43200 },
};

/** Every duration a request may name, over all kinds; 0 (or none) means the template's default. */
export const REQUEST_DURATION_RANGE = {
  min: Math.min(...Object.values(DURATION_RANGES).map((r) => r.min)),
  max: Math.max(...Object.values(DURATION_RANGES).map((r) => r.max)),
} as const;

/**
 * Bounds on a request's own fields, checked before any config is consulted. The params bound is
 * the wire's (the protocol refuses more before decoding): one number for both checks.
 */
export const MAX_REQUEST_PARAMS = MAX_REQUEST_PARAM_ENTRIES;
export const MAX_PARAM_NAME_CHARS = 128;
/** Also the longest value any parameter type accepts (max_length is at most this). */
export const MAX_PARAM_VALUE_CHARS = 2048;
export const MAX_TEMPLATE_NAME_CHARS = 128;

/** Role chaining (AssumeRole called with role credentials) caps the session at one hour. */
export const ROLE_CHAINING_MAX_SECONDS = 3600;

/** Plaintext limit for the inline session policy plus managed policy ARNs. */
export const MAX_POLICY_CHARS = 2048;
/**
 * Budget for credvend's estimate of the packed (compressed) policy + ARNs + tags size. AWS does not
 * publish the packed limit, only the percentage in PackedPolicySize; this budget is a conservative
 * working assumption, see README "Size checks".
 */
export const PACKED_BUDGET_BYTES = 2048;
export const MAX_TAGS = 50;
export const MAX_POLICY_ARNS = 10;
export const MAX_TRANSITIVE_TAG_KEYS = 50;
export const TAG_KEY_MAX = 128;
export const TAG_VALUE_MAX = 256;
/** STS tag charset: [\p{L}\p{Z}\p{N}_.:/=+\-@]. */
export const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
export const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export const ROLE_SESSION_NAME_MAX = 64;
export const SOURCE_IDENTITY_MAX = 64;
export const FEDERATION_NAME_MAX = 32;
export const ROLE_SESSION_NAME_PATTERN = /^[\w+=,.@-]{2,64}$/;
export const SOURCE_IDENTITY_PATTERN = /^[\w+=,.@-]{2,64}$/;
export const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;
export const FEDERATION_NAME_PATTERN = /^[\w+=,.@-]{2,32}$/;
export const MFA_SERIAL_PATTERN = /^[\w+=/:,.@-]{9,256}$/;
export const MFA_TOKEN_PATTERN = /^\d{6}$/;
export const WEB_IDENTITY_TOKEN_LENGTH = { min: 4, max: 20000 } as const;
export const PROVIDER_ID_LENGTH = { min: 4, max: 2048 } as const;
export const SAML_ASSERTION_LENGTH = { min: 4, max: 100000 } as const;

const PARTITION = "(?:aws|aws-cn|aws-us-gov)";
const IAM_NAME = "[\\w+=,.@-]";
export const ROLE_ARN_PATTERN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role/(?:${IAM_NAME}+/)*${IAM_NAME}{1,64}$`);
export const POLICY_ARN_PATTERN = new RegExp(`^arn:${PARTITION}:iam::(?:\\d{12}|aws):policy/(?:${IAM_NAME}+/)*${IAM_NAME}{1,128}$`);
export const SAML_PROVIDER_ARN_PATTERN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:saml-provider/${IAM_NAME}{1,128}$`);
/** Session policy characters STS accepts: \t \n \r and U+0020-U+00FF. */
export const POLICY_CHARSET = /^[\t\n\r\u0020-\u00ff]*$/;

/** Largest tenant / principal (protocol NAME_PATTERN) and request id (REQUEST_ID_PATTERN). */
export const BUILTIN_MAX_LENGTH = { tenant: 64, principal: 64, request_id: 128, caller_tenant: 64 } as const;
