// Structural check of a policy document supplied by a client (e.g. KMS CreateKey's Policy), so a
// malformed policy is rejected with a message naming the problem instead of silently never matching.

import type { PolicyDocument } from "../types.js";
import { parseOperator } from "./conditions.js";

const STATEMENT_KEYS = new Set(["Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isStringOrList(value: unknown): boolean {
  return typeof value === "string" || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string"));
}

function checkPrincipal(name: string, value: unknown, where: string): string[] {
  if (value === "*") return [];
  if (!isRecord(value)) return [`${where}: ${name} must be "*" or an object such as {"AWS": "<arn>"}`];
  const problems: string[] = [];
  for (const [kind, v] of Object.entries(value)) {
    if (!["AWS", "Federated", "Service", "CanonicalUser"].includes(kind)) problems.push(`${where}: unknown ${name} type "${kind}"`);
    else if (!isStringOrList(v)) problems.push(`${where}: ${name}.${kind} must be a string or a non-empty list of strings`);
  }
  return problems;
}

/**
 * "identity": identity and session policies (no Principal). "trust": role trust policies, where IAM
 * refuses Resource ("Has prohibited field Resource"): the policy is attached to the role it governs.
 * "key": KMS key policies, where a statement without Action or Resource is accepted and simply has no
 * effect (KMS API Reference, CreateKey / PutKeyPolicy, Policy). "resource": any resource policy.
 */
export type PolicyDocumentKind = "identity" | "trust" | "key" | "resource";

function checkStatement(s: unknown, where: string, kind: PolicyDocumentKind): string[] {
  const resourcePolicy = kind !== "identity";
  if (!isRecord(s)) return [`${where} must be an object`];
  const problems: string[] = [];
  for (const key of Object.keys(s)) if (!STATEMENT_KEYS.has(key)) problems.push(`${where}: unknown element "${key}"`);
  if (s["Effect"] !== "Allow" && s["Effect"] !== "Deny") problems.push(`${where}: Effect must be "Allow" or "Deny"`);
  if (s["Action"] !== undefined && s["NotAction"] !== undefined) problems.push(`${where}: give exactly one of Action or NotAction`);
  else if (kind !== "key" && s["Action"] === undefined && s["NotAction"] === undefined) problems.push(`${where}: give exactly one of Action or NotAction`);
  if (kind === "trust" && (s["Resource"] !== undefined || s["NotResource"] !== undefined)) {
    problems.push(`${where}: Has prohibited field ${s["Resource"] !== undefined ? "Resource" : "NotResource"} (a trust policy governs its role)`);
  }
  for (const key of ["Action", "NotAction", "Resource", "NotResource"]) {
    if (s[key] !== undefined && !isStringOrList(s[key])) problems.push(`${where}: ${key} must be a string or a non-empty list of strings`);
  }
  if (s["Resource"] !== undefined && s["NotResource"] !== undefined) problems.push(`${where}: give only one of Resource or NotResource`);
  if (resourcePolicy) {
    if ((s["Principal"] === undefined) === (s["NotPrincipal"] === undefined)) problems.push(`${where}: give exactly one of Principal or NotPrincipal`);
  } else if (s["Principal"] !== undefined || s["NotPrincipal"] !== undefined) {
    problems.push(`${where}: an identity or session policy can't have Principal or NotPrincipal`);
  }
  for (const key of ["Principal", "NotPrincipal"]) if (s[key] !== undefined) problems.push(...checkPrincipal(key, s[key], where));
  const condition = s["Condition"];
  if (condition !== undefined) {
    if (!isRecord(condition)) problems.push(`${where}: Condition must be an object`);
    else {
      for (const [operator, block] of Object.entries(condition)) {
        if (parseOperator(operator) === null) problems.push(`${where}: unknown condition operator "${operator}"`);
        if (!isRecord(block)) problems.push(`${where}: Condition.${operator} must map condition keys to values`);
      }
    }
  }
  return problems;
}

/** Problems found, or an empty list when the document is well formed. */
export function checkPolicyDocument(value: unknown, kind: PolicyDocumentKind): string[] {
  if (!isRecord(value)) return ["the policy must be a JSON object"];
  const version = value["Version"];
  if (version !== undefined && version !== "2012-10-17" && version !== "2008-10-17") {
    return [`Version must be "2012-10-17" or "2008-10-17", not ${JSON.stringify(version)}`];
  }
  const statements = value["Statement"];
  if (statements === undefined) return ["the policy has no Statement"];
  const list: unknown[] = Array.isArray(statements) ? statements : [statements];
  if (list.length === 0) return ["Statement must not be empty"];
  return list.flatMap((s, i) => checkStatement(s, `Statement[${i}]`, kind));
}

/** Narrowing helper: a document that passed checkPolicyDocument. */
export function asPolicyDocument(value: unknown, kind: PolicyDocumentKind): PolicyDocument | string[] {
  const problems = checkPolicyDocument(value, kind);
  return problems.length === 0 ? (value as PolicyDocument) : problems;
}
