// Structural rendering: the policy was parsed at load; here we walk it and substitute variables
// inside string values only. Object keys, array lengths, numbers and booleans are copied as they
// are, so the output always has the template's structure. The output is minified JSON.
import { renderTemplateString } from "./placeholders.js";

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Walks a JSON value and maps every string leaf; `path` lets callers report where a leaf is. */
export function mapStrings(value: unknown, fn: (s: string, path: (string | number)[]) => string, path: (string | number)[] = []): JsonValue {
  if (typeof value === "string") return fn(value, path);
  if (typeof value === "number" || typeof value === "boolean" || value === null) return value;
  if (Array.isArray(value)) return value.map((v: unknown, i) => mapStrings(v, fn, [...path, i]));
  if (typeof value === "object") {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      // defineProperty, so a key such as "__proto__" stays an ordinary key
      Object.defineProperty(out, k, { value: mapStrings(v, fn, [...path, k]), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  throw new TypeError(`unexpected ${typeof value} in a policy document`);
}

/** Visits every string leaf (values, not keys) with its path. */
export function forEachString(value: unknown, fn: (s: string, path: (string | number)[]) => void): void {
  mapStrings(value, (s, path) => {
    fn(s, path);
    return s;
  });
}

export function renderPolicy(policy: unknown, values: ReadonlyMap<string, string>): string {
  return JSON.stringify(mapStrings(policy, (s) => renderTemplateString(s, values)));
}
