// The keys a strict object of the config schema accepts at a given path, so an unknown key can be
// answered with the nearest valid one. Walks zod's own schema definitions: the schema stays the
// one place that says which keys exist.
import type { z } from "zod";
import type { PathSegment } from "./problems.js";

interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly valueType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly innerType?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly in?: z.ZodType;
  readonly out?: z.ZodType;
  readonly getter?: () => z.ZodType;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The schemas a value at `schema` may be, with wrappers (optional, default, transforms, unions) unwrapped. */
function branches(schema: z.ZodType): z.ZodType[] {
  const def = defOf(schema);
  if (def.innerType) return branches(def.innerType);
  // A pipe is `.transform()` (schema in, transform out) or `z.preprocess` (transform in, schema out).
  if (def.type === "pipe") return [def.in, def.out].flatMap((s) => (s === undefined || defOf(s).type === "transform" ? [] : branches(s)));
  if (def.type === "lazy" && def.getter) return branches(def.getter());
  if (def.type === "union" && def.options) return def.options.flatMap(branches);
  return [schema];
}

function child(schema: z.ZodType, segment: PathSegment): z.ZodType[] {
  const def = defOf(schema);
  if (def.type === "object" && def.shape && typeof segment === "string") return Object.hasOwn(def.shape, segment) ? [def.shape[segment] as z.ZodType] : [];
  if (def.type === "record" && def.valueType && typeof segment === "string") return [def.valueType];
  if (def.type === "array" && def.element && typeof segment === "number") return [def.element];
  return [];
}

/** Every key an object at `path` may have (across union branches); empty when the path is not an object's. */
export function keysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let here = branches(schema);
  for (const segment of path) here = here.flatMap((s) => child(s, segment)).flatMap(branches);
  const keys = new Set<string>();
  for (const s of here) {
    const def = defOf(s);
    if (def.type === "object" && def.shape) for (const k of Object.keys(def.shape)) keys.add(k);
  }
  return [...keys];
}
