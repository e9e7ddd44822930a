// Shared helpers for the unit tests (not part of the public API).
import assert from "node:assert/strict";
import { parseConfig } from "./config.js";
import type { CredvendConfig } from "./schema.js";
import type { Problem } from "./problems.js";
import type { LintOptions } from "./lint-template.js";
import type { VendInput } from "./plan-inputs.js";

export function okConfig(yaml: string, options: LintOptions = {}): CredvendConfig {
  const r = parseConfig(yaml, options);
  if (!r.ok) assert.fail(`config refused:\n${r.problems.map((p) => `${p.path}: ${p.message}`).join("\n")}`);
  return r.config;
}

/** All problems (errors and warnings) for a config text. */
export function problemsOf(yaml: string, options: LintOptions = {}): Problem[] {
  const r = parseConfig(yaml, options);
  return r.ok ? r.warnings : r.problems;
}

/** The issue-3 demo config, extended with rules the tests need. */
export const DEMO = `
templates:
  s3-tenant-read:
    kind: assume_role
    role_arn: arn:aws:iam::000000000000:role/credvend-demo
    duration: { default: 900, max: 3600 }
    params:
      bucket: { pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", max_length: 63 }
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: ["s3:GetObject", "s3:ListBucket"]
          Resource: ["arn:aws:s3:::{{bucket}}", "arn:aws:s3:::{{bucket}}/{{tenant}}/*"]
    tags: { tenant: "{{tenant}}" }
access:
  - tenants: ["acme"]
    principals: ["demo-app", "batch-*"]
    templates: ["s3-tenant-read"]
    params: { bucket: ["acme-data"] }
rate_limits:
  per_principal: { per_second: 20, burst: 40 }
  per_tenant: { per_second: 200, burst: 400 }
`;

let counter = 0;
export function input(overrides: Partial<VendInput> & Pick<VendInput, "template">): VendInput {
  counter += 1;
  return { tenant: "acme", principal: "demo-app", requestId: `req-${String(counter).padStart(8, "0")}`, params: {}, ...overrides };
}

/** A template block for lint/render tables: one assume_role template named t with the given body lines merged. */
export function oneTemplate(body: string, extra = ""): string {
  return `templates:\n  t:\n    kind: assume_role\n    role_arn: arn:aws:iam::123456789012:role/r\n${body}\naccess:\n  - { tenants: ["*"], principals: ["*"], templates: ["*"] }\n${extra}`;
}
