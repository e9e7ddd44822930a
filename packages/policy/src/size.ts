// Worst-case size of what a template sends to STS: every variable at its longest, drawn from a
// spread of characters so it compresses no better than real values. Plaintext is what the docs
// limit (2,048 characters for the inline policy plus managed policy ARNs). AWS does not publish
// how it packs policy, ARNs and tags, so the packed estimate is the larger of two readings:
//   - separate: the policy deflated alone, ARNs and tags counted raw (credvend's own, conservative
//     assumption about AWS);
//   - joint: what aws-local computes (see services/aws-local/src/sts/packed-size.ts): one raw
//     deflate at level 9 of the policy, each ARN, each tag key and value, NUL-separated, in UTF-8,
//     plus a margin for request values that compress a little worse than the worst-case filler.
// So lint never passes a template the emulator refuses; a property test sends the worst case to
// aws-local to prove it.
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
  /** Estimated packed bytes (the larger of the separate and the joint reading). */
  readonly packedBytes: number;
}

/** Bytes added to the joint reading for values less compressible than the filler (random values of 1-8 maxed parameters measured at most 0.9% / 7 bytes over it). */
export const JOINT_MARGIN = (bytes: number): number => Math.ceil(bytes * 0.03) + 16;

const utf8 = (s: string): number => Buffer.byteLength(s, "utf8");

export function packedEstimate(policy: string | undefined, policyArns: readonly string[], tags: readonly { key: string; value: string }[]): number {
  const policyBytes = policy === undefined || policy === "" ? 0 : deflateRawSync(Buffer.from(policy, "utf8"), { level: 9 }).length;
  const separate = policyBytes + policyArns.reduce((n, a) => n + utf8(a), 0) + tags.reduce((n, t) => n + utf8(t.key) + utf8(t.value) + 2, 0);
  if (policy === undefined && policyArns.length === 0 && tags.length === 0) return 0;
  const parts = [policy ?? "", ...policyArns, ...tags.flatMap((t) => [t.key, t.value])];
  const joint = deflateRawSync(Buffer.from(parts.join("\u0000"), "utf8"), { level: 9 }).length;
  return Math.max(separate, joint + JOINT_MARGIN(joint));
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
      { key: TAG_TENANT, value: values.get("tenant") ?? "" },
      { key: TAG_PRINCIPAL, value: values.get("principal") ?? "" },
      { key: TAG_REQUEST_ID, value: values.get("request_id") ?? "" },
      // A caller tenant as long and as varied as the tenant, but not equal to it.
      { key: TAG_CALLER_TENANT, value: [...(values.get("tenant") ?? "")].reverse().join("").slice(0, BUILTIN_MAX_LENGTH.caller_tenant) },
    );
  }
  return {
    policyChars,
    plaintextChars: policyChars + arns.reduce((n, a) => n + a.length, 0),
    packedBytes: packedEstimate(policy, arns, tags),
  };
}
