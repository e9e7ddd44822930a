// Every place in a template where `{{variables}}` are substituted, with its config path. Lint uses
// it to find unknown and unused variables; the size checks use it for worst-case rendering.
import type { Template } from "./schema.js";
import type { PathSegment } from "./problems.js";
import { forEachString } from "./render.js";
import { BUILTINS } from "./placeholders.js";
import { paramMaxLength } from "./params.js";
import { BUILTIN_MAX_LENGTH } from "./limits.js";

export interface TemplateString {
  readonly source: string;
  readonly path: PathSegment[];
}

export function templateStrings(name: string, tpl: Template): TemplateString[] {
  const base: PathSegment[] = ["templates", name];
  const out: TemplateString[] = [];
  if (tpl.policy !== undefined) forEachString(tpl.policy, (source, path) => out.push({ source, path: [...base, "policy", ...path] }));
  for (const [key, source] of Object.entries(tpl.tags ?? {})) out.push({ source, path: [...base, "tags", key] });
  if (tpl.external_id !== undefined) out.push({ source: tpl.external_id, path: [...base, "external_id"] });
  if (tpl.federation_name !== undefined) out.push({ source: tpl.federation_name, path: [...base, "federation_name"] });
  return out;
}

/** Names a template string may use: the built-ins and the template's parameters. */
export function knownVariables(tpl: Template): Set<string> {
  return new Set<string>([...BUILTINS, ...Object.keys(tpl.params ?? {})]);
}

/**
 * A worst-case value for every variable: as long as the type allows, drawn (by a fixed generator)
 * from 67 characters, more than any parameter type's alphabet but '.', so it compresses no better
 * than real values (the packed-size estimate uses deflate). The caller tenant differs from the
 * tenant, as it does when a platform acts on behalf of a customer.
 */
export function worstCaseValues(tpl: Template): Map<string, string> {
  const values = new Map<string, string>();
  let seed = 7;
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@+=-";
  const filler = (n: number): string => {
    let s = "";
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      s += alphabet[(seed >>> 8) % alphabet.length];
    }
    return s;
  };
  for (const b of BUILTINS) values.set(b, filler(BUILTIN_MAX_LENGTH[b]));
  for (const [name, spec] of Object.entries(tpl.params ?? {})) values.set(name, filler(paramMaxLength(spec)));
  return values;
}
