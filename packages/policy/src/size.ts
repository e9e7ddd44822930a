// Worst-case size of what a template sends to STS: every variable at its longest. Plaintext is
// what the docs limit (2,048 characters for the inline policy plus managed policy ARNs); the
// packed estimate approximates STS's undocumented compressed limit (policy, ARNs and tags).
import { deflateRawSync } from "node:zlib";
import type { Template } from "./schema.js";
import { renderPolicy } from "./render.js";
import { renderTemplateString } from "./placeholders.js";
import { worstCaseValues } from "./template-strings.js";
import { BUILTIN_MAX_LENGTH } from "./limits.js";
import { TAG_CALLER_TENANT, TAG_PRINCIPAL, TAG_REQUEST_ID, TAG_TENANT } from "./session.js";

export interface SizeEstimate {
  /** Minified inline policy plus the managed policy ARNs, in characters. */
  readonly plaintextChars: number;
  readonly policyChars: number;
  /** Estimated packed bytes (deflated policy + ARNs + tag keys and values). */
  readonly packedBytes: number;
}

export function packedEstimate(policy: string | undefined, policyArns: readonly string[], tags: readonly { key: string; value: string }[]): number {
  const policyBytes = policy === undefined || policy === "" ? 0 : deflateRawSync(Buffer.from(policy, "latin1")).length;
  const arnBytes = policyArns.reduce((n, a) => n + a.length, 0);
  const tagBytes = tags.reduce((n, t) => n + t.key.length + t.value.length + 2, 0);
  return policyBytes + arnBytes + tagBytes;
}

/** Only meaningful once lint has found every variable known. */
export function worstCaseSize(tpl: Template): SizeEstimate {
  const values = worstCaseValues(tpl);
  const policy = tpl.policy === undefined ? undefined : renderPolicy(tpl.policy, values);
  const arns = tpl.policy_arns ?? [];
  const policyChars = policy?.length ?? 0;
  const tags = Object.entries(tpl.tags ?? {}).map(([key, v]) => ({ key, value: renderTemplateString(v, values) }));
  if (tpl.kind === "assume_role" || tpl.kind === "federation_token") {
    tags.push(
      { key: TAG_TENANT, value: "t".repeat(BUILTIN_MAX_LENGTH.tenant) },
      { key: TAG_PRINCIPAL, value: "p".repeat(BUILTIN_MAX_LENGTH.principal) },
      { key: TAG_REQUEST_ID, value: "r".repeat(BUILTIN_MAX_LENGTH.request_id) },
      { key: TAG_CALLER_TENANT, value: "c".repeat(BUILTIN_MAX_LENGTH.caller_tenant) },
    );
  }
  return {
    policyChars,
    plaintextChars: policyChars + arns.reduce((n, a) => n + a.length, 0),
    packedBytes: packedEstimate(policy, arns, tags),
  };
}
