// IAM wildcard matching: `*` = any run of characters, `?` = exactly one character.
//
// No regex: a regex of `[\s\S]*` runs backtracks polynomially when a pattern with many stars (a
// key policy from CreateKey, a seed, a session policy) meets a long caller-chosen value (an
// encryption-context value): "*a"x12+"b" against 5,000 "a"s would hang the emulator. This is the
// greedy star/backtrack algorithm: O(pattern × value) worst case.
// compileParts stays exported for callers that want a RegExp.

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

/** One pattern element: a character that must match exactly, `?` (any one character) or `*` (any run). */
type Token = string | typeof ANY_ONE | typeof ANY_RUN;
const ANY_ONE = 1;
const ANY_RUN = 2;

const MAX_CACHED = 4096;
const cache = new Map<string, readonly Token[]>();

function tokenize(parts: readonly PatternPart[], ignoreCase: boolean): Token[] {
  const tokens: Token[] = [];
  for (const part of parts) {
    // Code points, as the old regex built from `for…of` did on the pattern side.
    for (const ch of ignoreCase ? part.text.toLowerCase() : part.text) {
      if (!part.literal && ch === "*") {
        if (tokens[tokens.length - 1] !== ANY_RUN) tokens.push(ANY_RUN);
      } else if (!part.literal && ch === "?") tokens.push(ANY_ONE);
      else tokens.push(ch);
    }
  }
  return tokens;
}

/** Greedy match with backtracking to the last star only: O(tokens × characters), never exponential. */
function tokensMatch(tokens: readonly Token[], text: string, ignoreCase: boolean): boolean {
  const chars = Array.from(ignoreCase ? text.toLowerCase() : text);
  let t = 0;
  let c = 0;
  let starT = -1;
  let starC = 0;
  while (c < chars.length) {
    const token = tokens[t];
    if (t < tokens.length && token !== ANY_RUN && (token === ANY_ONE || token === chars[c])) {
      t++;
      c++;
    } else if (t < tokens.length && token === ANY_RUN) {
      starT = t++;
      starC = c;
    } else if (starT >= 0) {
      t = starT + 1;
      c = ++starC;
    } else {
      return false;
    }
  }
  while (t < tokens.length && tokens[t] === ANY_RUN) t++;
  return t === tokens.length;
}

/** Matches a plain wildcard pattern (no variables). */
export function wildcardMatch(pattern: string, value: string, ignoreCase: boolean): boolean {
  if (pattern === "*") return true;
  if (!pattern.includes("*") && !pattern.includes("?")) {
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  // Patterns without policy variables repeat on every KMS call, so their tokens are cached.
  const key = (ignoreCase ? "i:" : "s:") + pattern;
  let tokens = cache.get(key);
  if (tokens === undefined) {
    if (cache.size >= MAX_CACHED) cache.clear();
    tokens = tokenize([{ text: pattern, literal: false }], ignoreCase);
    cache.set(key, tokens);
  }
  return tokensMatch(tokens, value, ignoreCase);
}

/** Matches expanded parts against a value (used when a pattern contained policy variables). */
export function partsMatch(parts: readonly PatternPart[], value: string, ignoreCase: boolean): boolean {
  if (parts.length === 1 && parts[0] !== undefined && !parts[0].literal) return wildcardMatch(parts[0].text, value, ignoreCase);
  return tokensMatch(tokenize(parts, ignoreCase), value, ignoreCase);
}
