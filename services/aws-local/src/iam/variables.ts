// Policy variables (`${aws:username}`, `${aws:PrincipalTag/team}`, `${key, 'default'}`, `${*}`, `${?}`, `${$}`).
// Only policies with Version "2012-10-17" expand them; older versions treat `${…}` as literal text, as IAM does.

import type { RequestContext } from "./request-context.js";
import type { PatternPart } from "./wildcard.js";

const VARIABLE = /\$\{([^}]*)\}/g;
const WITH_DEFAULT = /^\s*([^,\s]+)\s*,\s*'((?:[^']|'')*)'\s*$/;

/** The value a variable stands for, or undefined when IAM could not resolve it. */
function resolveVariable(body: string, ctx: RequestContext): string | undefined {
  if (body === "*" || body === "?" || body === "$") return body;
  const withDefault = WITH_DEFAULT.exec(body);
  const key = (withDefault?.[1] ?? body).trim().toLowerCase();
  const value = ctx.get(key);
  // Multi-valued keys can't be substituted; IAM treats them as unresolved.
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return String(value);
  return withDefault?.[2] !== undefined ? withDefault[2].replace(/''/g, "'") : undefined;
}

/**
 * Splits a policy string into wildcard text and literal variable values.
 * Returns null when a variable can't be resolved: the comparison using it must not match.
 */
export function expandToParts(template: string, ctx: RequestContext, variablesEnabled: boolean): PatternPart[] | null {
  if (!variablesEnabled || !template.includes("${")) return [{ text: template, literal: false }];
  const parts: PatternPart[] = [];
  let last = 0;
  for (const match of template.matchAll(VARIABLE)) {
    const index = match.index ?? 0;
    if (index > last) parts.push({ text: template.slice(last, index), literal: false });
    const value = resolveVariable(match[1] ?? "", ctx);
    if (value === undefined) return null;
    parts.push({ text: value, literal: true });
    last = index + match[0].length;
  }
  if (last < template.length) parts.push({ text: template.slice(last), literal: false });
  return parts;
}

/** The expanded plain string (for exact comparisons), or null when unresolvable. */
export function expandToString(template: string, ctx: RequestContext, variablesEnabled: boolean): string | null {
  const parts = expandToParts(template, ctx, variablesEnabled);
  return parts === null ? null : parts.map((p) => p.text).join("");
}
