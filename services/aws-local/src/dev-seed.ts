// The built-in dev seed, used when no seed is given. It is fixed so docs, tests and tools can rely
// on its names. DEV-ONLY: every key and secret below is public, committed on purpose, and valid
// only against this local emulator. Never use them (or this seed's shape of trust) against AWS.
import { validateSeed } from "./seed/load.js";
import type { Seed, SeedInput } from "./seed/schema.js";

export const DEV_ACCOUNT_ID = "000000000000";
export const DEV_REPLY_KEY_ID = "c0ffee00-0000-4000-8000-000000000001";
export const DEV_REPLY_KEY_ALIAS = "alias/credvend-replies";
/** A key the demo role's sessions may Encrypt/Decrypt with: an action aws-local authorizes per session. */
export const DEV_DEMO_DATA_KEY_ID = "c0ffee00-0000-4000-8000-000000000002";
export const DEV_DEMO_DATA_KEY_ALIAS = "alias/credvend-demo-data";
export const DEV_EXTERNAL_ID = "credvend-dev-external-id";
export const DEV_MFA_SERIAL = `arn:aws:iam::${DEV_ACCOUNT_ID}:mfa/credvend-vendor-dev-only`;
/** DEV-ONLY TOTP seed of credvend-vendor's MFA device (base32); compute codes with totp(). */
export const DEV_MFA_TOTP_SECRET = "DEVONLYCREDVENDMFASECRET234567AB";

/** DEV-ONLY long-term access keys of the dev users. */
const DEV_ONLY_KEYS = {
  "credvend-vendor": { accessKeyId: "AKIADEVONLYVENDOR001", secretAccessKey: "dev-only/credvend-vendor/NOT-A-REAL-KEY0" },
  "demo-app": { accessKeyId: "AKIADEVONLYDEMOAPP01", secretAccessKey: "dev-only/demo-app/NOT-A-REAL-SECRET-KEY0" },
  "other-app": { accessKeyId: "AKIADEVONLYOTHERAPP1", secretAccessKey: "dev-only/other-app/NOT-A-REAL-SECRET-KEY" },
  "acme-app": { accessKeyId: "AKIADEVONLYACMEAPP01", secretAccessKey: "dev-only/acme-app/NOT-A-REAL-SECRET-KEY0" },
  "credvend-operator": { accessKeyId: "AKIADEVONLYOPERATOR1", secretAccessKey: "dev-only/credvend-operator/NOT-A-REAL-KEY" },
} as const;

/** The tenant of the tenant-bound dev requester `acme-app` (its `credvend:tenant` principal tag). */
export const DEV_TENANT_BOUND_TENANT = "acme";

export type DevUserName = keyof typeof DEV_ONLY_KEYS;
export const DEV_USER_NAMES: readonly DevUserName[] = Object.keys(DEV_ONLY_KEYS) as DevUserName[];

const acct = DEV_ACCOUNT_ID;
const vendorArn = `arn:aws:iam::${acct}:user/credvend-vendor`;
const replyKeyArnAnyRegion = `arn:aws:kms:*:${acct}:key/${DEV_REPLY_KEY_ID}`;
const demoDataKeyArnAnyRegion = `arn:aws:kms:*:${acct}:key/${DEV_DEMO_DATA_KEY_ID}`;

const trustVendor = (condition?: Record<string, Record<string, string | boolean>>) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow" as const,
      Principal: { AWS: vendorArn },
      Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
      ...(condition === undefined ? {} : { Condition: condition }),
    },
  ],
});

const CONTEXT_TENANT = "kms:EncryptionContext:credvend:tenant";
const CONTEXT_PRINCIPAL = "kms:EncryptionContext:credvend:principal";

// A requester's IAM policy: Decrypt on the reply key, only for replies sealed to its own name. The
// key policy delegates Decrypt to IAM (it names the account root), so without this nothing opens.
const decryptOwnReplies = (tenantBound: boolean) => ({
  name: "decrypt-own-replies",
  document: {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow" as const,
        Action: "kms:Decrypt",
        Resource: replyKeyArnAnyRegion,
        Condition: {
          StringEquals: {
            [CONTEXT_PRINCIPAL]: "${aws:username}",
            ...(tenantBound ? { [CONTEXT_TENANT]: "${aws:PrincipalTag/credvend:tenant}" } : {}),
          },
        },
      },
    ],
  },
});

const devKey = (name: DevUserName) => ({
  access_key_id: DEV_ONLY_KEYS[name].accessKeyId,
  secret_access_key: DEV_ONLY_KEYS[name].secretAccessKey,
});

const DEV_SEED_INPUT: SeedInput = {
  account_id: acct,
  users: [
    {
      name: "credvend-vendor",
      access_keys: [devKey("credvend-vendor")],
      tags: { "credvend:role": "vendor" },
      mfa_devices: [{ serial: DEV_MFA_SERIAL, totp_secret: DEV_MFA_TOTP_SECRET }],
      policies: [
        {
          name: "credvend-vendor",
          document: {
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "VendRoleSessions",
                Effect: "Allow",
                Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
                Resource: `arn:aws:iam::${acct}:role/credvend-*`,
              },
              { Sid: "VendFederationTokens", Effect: "Allow", Action: ["sts:GetFederationToken", "sts:TagSession"], Resource: "*" },
              {
                Sid: "SealReplies",
                Effect: "Allow",
                Action: ["kms:GenerateDataKey", "kms:DescribeKey"],
                Resource: replyKeyArnAnyRegion,
              },
            ],
          },
        },
      ],
    },
    // DEV-ONLY requesters of every tenant (the test suites make a fresh tenant per test): tagged
    // credvend:any-tenant, which only the key policy's DevRequestersOfAnyTenant statement honours.
    { name: "demo-app", access_keys: [devKey("demo-app")], tags: { team: "demo", "credvend:any-tenant": "true" }, policies: [decryptOwnReplies(false)] },
    { name: "other-app", access_keys: [devKey("other-app")], tags: { team: "other", "credvend:any-tenant": "true" }, policies: [decryptOwnReplies(false)] },
    // A requester bound to one tenant, as in production: it opens replies for (acme, acme-app) only.
    {
      name: "acme-app",
      access_keys: [devKey("acme-app")],
      tags: { "credvend:tenant": DEV_TENANT_BOUND_TENANT },
      policies: [decryptOwnReplies(true)],
    },
    // The operator who runs `credvend revoke`: manages the inline policies of the credvend roles only.
    {
      name: "credvend-operator",
      access_keys: [devKey("credvend-operator")],
      policies: [
        {
          name: "manage-credvend-role-policies",
          document: {
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "RevokeSessions",
                Effect: "Allow",
                Action: ["iam:GetRole", "iam:GetRolePolicy", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies"],
                Resource: `arn:aws:iam::${acct}:role/credvend-*`,
              },
            ],
          },
        },
      ],
    },
  ],
  roles: [
    {
      name: "credvend-demo",
      max_session_duration: 43200,
      trust_policy: trustVendor(),
      tags: { "credvend:managed": "true" },
      policies: [
        {
          name: "demo-permissions",
          document: {
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: ["arn:aws:s3:::credvend-demo", "arn:aws:s3:::credvend-demo/*"] },
              // Lets tests exercise role chaining (credvend-demo -> credvend-demo-chained). A session
              // that carries a source identity (credvend sets one) passes it on, which needs
              // sts:SetSourceIdentity here and in the chained role's trust policy.
              { Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], Resource: `arn:aws:iam::${acct}:role/credvend-demo-chained` },
              // An action aws-local authorizes against the session's policies (revocation tests).
              { Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt"], Resource: demoDataKeyArnAnyRegion },
            ],
          },
        },
      ],
    },
    {
      name: "credvend-demo-mfa",
      max_session_duration: 3600,
      trust_policy: trustVendor({ Bool: { "aws:MultiFactorAuthPresent": "true" } }),
    },
    {
      name: "credvend-demo-external",
      max_session_duration: 3600,
      trust_policy: trustVendor({ StringEquals: { "sts:ExternalId": DEV_EXTERNAL_ID } }),
    },
    {
      name: "credvend-demo-chained",
      max_session_duration: 43200,
      trust_policy: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${acct}:role/credvend-demo` },
            Action: ["sts:AssumeRole", "sts:TagSession"],
          },
          {
            // Only the source identities credvend gives dev-seed principals (<tenant>.demo-…) go on down the chain.
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${acct}:role/credvend-demo` },
            Action: "sts:SetSourceIdentity",
            Condition: { StringLike: { "sts:SourceIdentity": "*.demo-*" } },
          },
        ],
      },
    },
  ],
  kms_keys: [
    {
      id: DEV_REPLY_KEY_ID,
      description: "DEV-ONLY credvend reply key (aws-local built-in dev seed)",
      aliases: [DEV_REPLY_KEY_ALIAS],
      enabled: true,
      // DEV-ONLY fixed key material: base64 of "dev-only:credvend-replies-key-32".
      material: "ZGV2LW9ubHk6Y3JlZHZlbmQtcmVwbGllcy1rZXktMzI=",
      policy: {
        Version: "2012-10-17",
        Statement: [
          // Every statement names the account root: it delegates to IAM, so each identity's own IAM
          // policy must allow its calls too (as on AWS), and a missing IAM permission shows up here.
          {
            Sid: "VendorSealsReplies",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${acct}:root` },
            Action: ["kms:GenerateDataKey", "kms:DescribeKey"],
            Resource: "*",
            Condition: { StringEquals: { "aws:PrincipalArn": vendorArn } },
          },
          {
            // Principal names are unique only within a tenant: both context keys are bound.
            Sid: "RequesterOpensOwnReplies",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${acct}:root` },
            Action: "kms:Decrypt",
            Resource: "*",
            Condition: {
              StringEquals: { [CONTEXT_TENANT]: "${aws:PrincipalTag/credvend:tenant}", [CONTEXT_PRINCIPAL]: "${aws:username}" },
            },
          },
          {
            // DEV-ONLY: the dev requesters serve every tenant (tests make fresh tenants), so the
            // tenant is required but not bound; the principal still is. Never copy this to AWS.
            Sid: "DevRequestersOfAnyTenant",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${acct}:root` },
            Action: "kms:Decrypt",
            Resource: "*",
            Condition: {
              StringEquals: { [CONTEXT_PRINCIPAL]: "${aws:username}", "aws:PrincipalTag/credvend:any-tenant": "true" },
              Null: { [CONTEXT_TENANT]: "false" },
            },
          },
        ],
      },
    },
    {
      id: DEV_DEMO_DATA_KEY_ID,
      description: "DEV-ONLY data key of the demo role (aws-local built-in dev seed)",
      aliases: [DEV_DEMO_DATA_KEY_ALIAS],
      enabled: true,
      // AWS's default key policy: the account's IAM decides who may use the key.
      policy: {
        Version: "2012-10-17",
        Statement: [{ Sid: "EnableIamPolicies", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${acct}:root` }, Action: "kms:*", Resource: "*" }],
      },
    },
  ],
};

/** The built-in dev seed, validated. */
export const DEV_SEED: Seed = validateSeed(DEV_SEED_INPUT, "built-in dev seed");

/** DEV-ONLY long-term credentials of a dev-seed user. */
export function devCredentials(userName: string): { accessKeyId: string; secretAccessKey: string } {
  const creds = (DEV_ONLY_KEYS as Record<string, { accessKeyId: string; secretAccessKey: string } | undefined>)[userName];
  if (creds === undefined) {
    throw new Error(`"${userName}" is not a dev-seed user; choose one of: ${DEV_USER_NAMES.join(", ")}`);
  }
  return { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey };
}

/** Shell lines for `credvend aws-local --print-env USER` (DEV-ONLY credentials, printed on request). */
export function devEnvExports(userName: string, endpoint: string, region: string, options: { readonly adminToken?: string } = {}): string {
  const { accessKeyId, secretAccessKey } = devCredentials(userName);
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    `# DEV-ONLY credentials for aws-local user ${userName} (a local emulator, not AWS)`,
    `export AWS_ACCESS_KEY_ID=${quote(accessKeyId)}`,
    `export AWS_SECRET_ACCESS_KEY=${quote(secretAccessKey)}`,
    "unset AWS_SESSION_TOKEN",
    `export AWS_REGION=${quote(region)}`,
    // The AWS CLI v1 reads AWS_DEFAULT_REGION rather than AWS_REGION.
    `export AWS_DEFAULT_REGION=${quote(region)}`,
    `export AWS_ENDPOINT_URL=${quote(endpoint)}`,
    // The admin path's token of a running instance, when the caller knows it (tools read it from here).
    ...(options.adminToken === undefined ? [] : [`export AWS_LOCAL_ADMIN_TOKEN=${quote(options.adminToken)}`]),
    "# AWS CLI v2 before 2.13 (e.g. Debian 12's) and v1 before 1.29 ignore AWS_ENDPOINT_URL:",
    "# with those, pass --endpoint-url \"$AWS_ENDPOINT_URL\" to every command.",
    "",
  ].join("\n");
}
