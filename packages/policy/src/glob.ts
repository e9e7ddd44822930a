// Globs over names: `*` matches any run of characters (including none), `?` exactly one. Names and
// globs use a small alphabet (see schema.ts), so no other character is special.
//
// Matched directly rather than compiled to a RegExp: a glob such as `*a*a*a*a*` turned into
// `.*a.*a.*a.*a.*` backtracks polynomially, and compiled globs had to be cached per config text.
// This is the classic two-pointer match: O(name × glob) at worst, no state kept.

export function globMatches(glob: string, name: string): boolean {
  let g = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    const c = glob[g];
    if (c !== undefined && c !== "*" && (c === "?" || c === name[n])) {
      g += 1;
      n += 1;
    } else if (c === "*") {
      star = g;
      resume = n;
      g += 1;
    } else if (star >= 0) {
      g = star + 1;
      resume += 1;
      n = resume;
    } else {
      return false;
    }
  }
  while (glob[g] === "*") g += 1;
  return g === glob.length;
}

export function matchesAny(globs: readonly string[], name: string): boolean {
  return globs.some((g) => globMatches(g, name));
}

/** A glob of only wildcards with a `*` (`*`, `?*`, `??*`) matches every name, or all but the shortest. */
export function matchesAnyName(glob: string): boolean {
  return /^[*?]*\*[*?]*$/.test(glob);
}
