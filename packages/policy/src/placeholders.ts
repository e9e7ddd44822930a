// `{{name}}` placeholders. credvend variables use double braces so that IAM policy variables such
// as `${aws:username}` pass through untouched. Placeholders are found in string values only;
// substitution happens after the value has been validated, and the result is never re-scanned.

export const BUILTINS = ["tenant", "principal", "request_id"] as const;
export type Builtin = (typeof BUILTINS)[number];

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export type Part = { readonly text: string } | { readonly variable: string };

/** Splits a template string into literal text and variables. */
export function parseTemplateString(source: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const m of source.matchAll(PLACEHOLDER)) {
    const at = m.index ?? 0;
    if (at > last) parts.push({ text: source.slice(last, at) });
    parts.push({ variable: m[1] as string });
    last = at + m[0].length;
  }
  if (last < source.length) parts.push({ text: source.slice(last) });
  return parts;
}

export function variablesIn(source: string): string[] {
  return parseTemplateString(source).flatMap((p) => ("variable" in p ? [p.variable] : []));
}

/** True when the text has `{{` or `}}` that is not part of a well-formed placeholder. */
export function hasMalformedPlaceholder(source: string): boolean {
  return parseTemplateString(source).some((p) => "text" in p && (p.text.includes("{{") || p.text.includes("}}")));
}

export function hasPlaceholder(source: string): boolean {
  return parseTemplateString(source).some((p) => "variable" in p);
}

/**
 * Renders a template string. `values` must hold already-validated values; an unknown variable is
 * a programming error here (lint refuses such configs), so it throws.
 */
export function renderTemplateString(source: string, values: ReadonlyMap<string, string>): string {
  let out = "";
  for (const part of parseTemplateString(source)) {
    if ("text" in part) {
      out += part.text;
      continue;
    }
    const value = values.get(part.variable);
    if (value === undefined) throw new Error(`variable {{${part.variable}}} has no value`);
    out += value;
  }
  return out;
}
