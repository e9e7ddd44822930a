// Test configs: the README's example template, parameterised by tenant so that every test has
// its own subjects and Redis keys.
export interface DemoConfigOptions {
  readonly tenants: readonly string[];
  readonly principals?: readonly string[];
  readonly perPrincipal?: { readonly perSecond: number; readonly burst: number };
  readonly extraTemplates?: string;
  readonly extraAccess?: string;
}

/** The README's s3 read template under `name`, with extra template keys (indented 4) appended. */
export function s3ReadTemplate(name: string, extraKeys = "", roleArn = "arn:aws:iam::000000000000:role/credvend-demo"): string {
  return `  ${name}:
    kind: assume_role
    role_arn: ${roleArn}
    duration: { default: 900, max: 3600 }
    params:
      bucket: { pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", max_length: 63 }
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: ["s3:GetObject", "s3:ListBucket"]
          Resource: ["arn:aws:s3:::{{bucket}}", "arn:aws:s3:::{{bucket}}/{{tenant}}/*"]
${extraKeys}`;
}

export function demoConfig(o: DemoConfigOptions): string {
  const rate = o.perPrincipal ?? { perSecond: 1000, burst: 1000 };
  return `templates:
${s3ReadTemplate("s3-tenant-read", `    tags: { tenant: "{{tenant}}" }\n`)}  untrusted-role:
    kind: assume_role
    role_arn: arn:aws:iam::000000000000:role/credvend-demo-external
    duration: { default: 900, max: 3600 }
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: ["s3:GetObject"]
          Resource: ["arn:aws:s3:::shared-bucket/{{tenant}}/*"]
${o.extraTemplates ?? ""}
access:
  - tenants: ${JSON.stringify(o.tenants)}
    principals: ${JSON.stringify(o.principals ?? ["demo-app", "other-app"])}
    templates: ["s3-tenant-read"]
    params: { bucket: ["acme-data", "shared-data"] }
  # untrusted-role has no bucket parameter, so it gets a rule of its own (lint refuses a
  # constraint that would silently not apply to it)
  - tenants: ${JSON.stringify(o.tenants)}
    principals: ${JSON.stringify(o.principals ?? ["demo-app", "other-app"])}
    templates: ["untrusted-role"]
${o.extraAccess ?? ""}
rate_limits:
  per_principal: { per_second: ${rate.perSecond}, burst: ${rate.burst} }
  per_tenant: { per_second: 10000, burst: 10000 }
`;
}

/** A template scoped by a `customer` parameter: what a platform asks on_behalf_of its customers. */
export const TENANT_DATA_TEMPLATE = `  tenant-data:
    kind: assume_role
    role_arn: arn:aws:iam::000000000000:role/credvend-demo
    duration: { default: 900, max: 3600 }
    params:
      customer: { pattern: "^[a-z0-9-]{1,63}$", max_length: 63 }
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: ["s3:GetObject"]
          Resource: ["arn:aws:s3:::tenant-data/{{customer}}/*"]
`;

/** The access rule that lets `platform`'s demo-app ask TENANT_DATA_TEMPLATE on_behalf_of each customer, for its own data. */
export function platformForCustomersRule(platform: string, customers: readonly string[]): string {
  return `  - name: platform-for-customers
    tenants: ["${platform}"]
    principals: ["demo-app"]
    templates: ["tenant-data"]
    on_behalf_of: ${JSON.stringify(customers)}
    params: { customer: "{{tenant}}" }
`;
}
