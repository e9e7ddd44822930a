// IAM wildcard matching: `*` = any run of characters, `?` = exactly one character.
// Patterns without policy variables repeat on every KMS call, so their compiled regexes are cached.

const MAX_CACHED = 4096;
const cache = new Map<string, RegExp>();

/** A piece of a pattern after policy-variable expansion: wildcard text or a literal (escaped) value. */
export type PatternPart = { readonly text: string; readonly literal: boolean };

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

function wildcardSource(text: string): string {
  let out = "";
  for (const ch of text) {
    if (ch === "*") out += "[\\s\\S]*";
    else if (ch === "?") out += "[\\s\\S]";
    else out += escapeRegex(ch);
  }
  return out;
}

/** Compiles parts into an anchored regex; literal parts (variable values, `${*}`) never act as wildcards. */
export function compileParts(parts: readonly PatternPart[], ignoreCase: boolean): RegExp {
  const source = parts.map((p) => (p.literal ? escapeRegex(p.text) : wildcardSource(p.text))).join("");
  return new RegExp(`^${source}$`, ignoreCase ? "i" : "");
}

/** Matches a plain wildcard pattern (no variables); cached. */
export function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  if (pattern === "*") return true;
  if (!pattern.includes("*") && !pattern.includes("?")) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  const key = (ignoreCase ? "i:" : "s:") + pattern;
  let re = cache.get(key);
  if (re === undefined) {
    if (cache.size >= MAX_CACHED) cache.clear();
    re = compileParts([{ text: pattern, literal: false }], ignoreCase);
    cache.set(key, re);
  }
  return re.test(value);
}

/** Matches expanded parts against a value (used when a pattern contained policy variables). */
export function partsMatch(parts: readonly PatternPart[], value: string, ignoreCase: boolean): boolean {
  if (parts.length === 1 && parts[0] !== undefined && !parts[0].literal) return wildcardMatch(parts[0].text, value, ignoreCase);
  return compileParts(parts, ignoreCase).test(value);
}
