// Session tag rules from STS: key 1-128 and value 0-256 characters of [\p{L}\p{Z}\p{N}_.:/=+\-@],
// keys case-insensitive (so `Env` and `env` collide), no `aws:` prefix, at most 50 tags.
import type { Template } from "./schema.js";
import { problem, preview, type Problem } from "./problems.js";
import { parseTemplateString } from "./placeholders.js";
import { worstCaseValues } from "./template-strings.js";
import { MAX_TAGS, MAX_TRANSITIVE_TAG_KEYS, TAG_KEY_MAX, TAG_KEY_PATTERN, TAG_VALUE_MAX, TAG_VALUE_PATTERN } from "./limits.js";
import { AUTO_TAG_PREFIX, TAG_CALLER_TENANT, TAG_PRINCIPAL, TAG_REQUEST_ID, TAG_TENANT } from "./session.js";

const AUTO_TAGS = [TAG_TENANT, TAG_PRINCIPAL, TAG_REQUEST_ID, TAG_CALLER_TENANT];
/** AWS reserves tag keys and values that start with this (compared ignoring case). */
const RESERVED_PREFIX = "aws:";

/** Characters a variable's values can hold, for the prefix check (enums are expanded instead). */
function alphabetOf(variable: string, tpl: Template): RegExp {
  if (variable === "tenant" || variable === "principal") return /[a-z0-9_-]/;
  if (variable === "request_id") return /[A-Za-z0-9_-]/;
  const spec = Object.hasOwn(tpl.params ?? {}, variable) ? tpl.params?.[variable] : undefined;
  switch (spec?.type) {
    case "integer": return /[0-9-]/;
    case "s3_prefix": return /[A-Za-z0-9_.@+=/-]/;
    // An ARN value starts with "arn:", so it can never begin a reserved "aws:".
    case "arn": return /[]/;
    default: return /[A-Za-z0-9_.@+=-]/;
  }
}

/**
 * Whether any rendering of `source` can start with `prefix` (ignoring case). Walks the template
 * with the set of prefix positions reached so far: literal text advances or kills each position,
 * an enum tries each value, any other variable may cover any run of its alphabet's characters.
 */
export function canRenderWithPrefix(source: string, prefix: string, tpl: Template): boolean {
  const want = prefix.toLowerCase();
  const advance = (k: number, text: string): number | undefined => {
    for (const c of text.toLowerCase()) {
      if (k === want.length) return k;
      if (c !== want[k]) return undefined;
      k += 1;
    }
    return k;
  };
  let states = new Set<number>([0]);
  for (const part of parseTemplateString(source)) {
    const next = new Set<number>();
    for (const k of states) {
      if (k === want.length) return true;
      if ("text" in part) {
        const to = advance(k, part.text);
        if (to !== undefined) next.add(to);
        continue;
      }
      const spec = Object.hasOwn(tpl.params ?? {}, part.variable) ? tpl.params?.[part.variable] : undefined;
      if (spec?.type === "enum") {
        for (const v of spec.values) {
          const to = advance(k, v);
          if (to !== undefined) next.add(to);
        }
        continue;
      }
      const alphabet = alphabetOf(part.variable, tpl);
      for (let j = k; j < want.length && alphabet.test(want[j] as string); j++) next.add(j + 1);
    }
    states = next;
    if (states.size === 0) return false;
  }
  return states.has(want.length);
}

export function lintTags(name: string, tpl: Template): Problem[] {
  const out: Problem[] = [];
  const base = ["templates", name, "tags"];
  const tags = tpl.tags ?? {};
  const seen = new Map<string, string>();
  const worst = worstCaseValues(tpl);
  for (const [key, value] of Object.entries(tags)) {
    const at = [...base, key];
    const lower = key.toLowerCase();
    if (key.length < 1 || key.length > TAG_KEY_MAX || !TAG_KEY_PATTERN.test(key)) {
      out.push(problem("error", at, `tag key ${preview(key)} must be 1-${TAG_KEY_MAX} characters of letters, digits, spaces and _.:/=+-@`));
    }
    if (lower.startsWith(RESERVED_PREFIX)) out.push(problem("error", at, "tag keys starting with aws: are reserved by AWS"));
    if (lower.startsWith(AUTO_TAG_PREFIX)) out.push(problem("error", at, `tag keys starting with ${AUTO_TAG_PREFIX} are set by credvend (${AUTO_TAGS.join(", ")})`));
    const dupe = seen.get(lower);
    if (dupe !== undefined) out.push(problem("error", at, `tag key ${preview(key)} duplicates ${preview(dupe)}: STS tag keys are case-insensitive`));
    seen.set(lower, key);
    if (canRenderWithPrefix(value, RESERVED_PREFIX, tpl)) out.push(problem("error", at, `tag value ${preview(value)} can render to a value starting with ${RESERVED_PREFIX}, which AWS reserves; change the literal text or the enum values`));
    const literal = parseTemplateString(value).map((p) => ("text" in p ? p.text : "")).join("");
    if (!TAG_VALUE_PATTERN.test(literal)) out.push(problem("error", at, `tag value ${preview(value)} has characters STS refuses (allowed: letters, digits, spaces and _.:/=+-@)`));
    let longest = 0;
    for (const p of parseTemplateString(value)) longest += "text" in p ? p.text.length : (worst.get(p.variable)?.length ?? 0);
    if (longest > TAG_VALUE_MAX) out.push(problem("error", at, `tag value can render to ${longest} characters (parameters at max_length); STS allows ${TAG_VALUE_MAX}`));
  }
  const count = Object.keys(tags).length + AUTO_TAGS.length;
  if (count > MAX_TAGS) {
    out.push(problem("error", base, `${Object.keys(tags).length} tags plus credvend's ${AUTO_TAGS.length} make ${count}; STS allows ${MAX_TAGS}`));
  }
  const transitive = tpl.transitive_tag_keys ?? [];
  if (transitive.length > MAX_TRANSITIVE_TAG_KEYS) {
    out.push(problem("error", ["templates", name, "transitive_tag_keys"], `${transitive.length} keys; STS allows ${MAX_TRANSITIVE_TAG_KEYS}`));
  }
  const tagKeys = new Set([...Object.keys(tags), ...AUTO_TAGS].map((k) => k.toLowerCase()));
  transitive.forEach((key, i) => {
    if (!tagKeys.has(key.toLowerCase())) {
      out.push(problem("error", ["templates", name, "transitive_tag_keys", i], `${preview(key)} is not a session tag of this template (nor one of credvend's ${AUTO_TAGS.join(", ")})`));
    }
  });
  return out;
}
