// Globs over names: `*` matches any run of characters (including none), `?` exactly one. Names and
// globs use a small alphabet (see schema.ts), so no other character is special.

const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (re === undefined) {
    const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
    re = new RegExp(`^${body}$`);
    cache.set(glob, re);
  }
  return re;
}

export function matchesAny(globs: readonly string[], name: string): boolean {
  return globs.some((g) => globToRegExp(g).test(name));
}
