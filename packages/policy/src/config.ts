// Loading a config: YAML (or JSON, a subset of YAML) text → schema → lint → deep-frozen value.
// Nothing here throws for a bad config; callers get every problem at once, each naming its path.
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { configSchema, type CredvendConfig } from "./schema.js";
import { formatPath, hasErrors, preview, problem, type PathSegment, type Problem } from "./problems.js";
import { lintConfig, type LintOptions } from "./lint.js";
import { keysAt } from "./schema-keys.js";
import { didYouMean } from "./suggest.js";

export type ConfigResult =
  | { ok: true; config: CredvendConfig; warnings: Problem[] }
  | { ok: false; problems: Problem[] };

export function parseConfig(text: string, options: LintOptions & { source?: string } = {}): ConfigResult {
  const where = options.source === undefined ? "" : `${options.source}: `;
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((e) => ({ severity: "error", path: "", message: `${where}${e.message.split("\n")[0] ?? "invalid YAML"}` })) };
  }
  // maxAliasCount bounds YAML alias expansion ("billion laughs"). The yaml library reports an
  // exceeded bound by throwing, and callers (the KV watcher) rely on parseConfig never throwing.
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return { ok: false, problems: [{ severity: "error", path: "", message: `${where}${e instanceof Error ? e.message : "invalid YAML"}; write the values out instead of using aliases` }] };
  }
  // The schema's records drop a "__proto__" key silently (it becomes the object's prototype), so a
  // tag or condition written under that key would vanish from what is sent; refuse it instead.
  const protoKeys = protoKeyPaths(raw);
  if (protoKeys.length > 0) return { ok: false, problems: protoKeys.map((p) => problem("error", p, `${where}"__proto__" can not be used as a key`)) };
  const parsed = configSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.flatMap((i) => issueToProblems(i, where)) };
  const config = deepFreeze(parsed.data) as CredvendConfig;
  const problems = lintConfig(config, options).map((p) => (where === "" ? p : { ...p, message: `${where}${p.message}` }));
  if (hasErrors(problems)) return { ok: false, problems };
  return { ok: true, config, warnings: problems };
}

export function loadConfigFile(path: string, options: LintOptions = {}): ConfigResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const reason = e instanceof Error && "code" in e ? String(e.code) : "unreadable";
    return { ok: false, problems: [{ severity: "error", path: "", message: `${path}: can not read the config file (${reason})` }] };
  }
  return parseConfig(text, { ...options, source: path });
}

type Issue = z.core.$ZodIssue;

function issueToProblems(issue: Issue, where: string, prefix: PathSegment[] = []): Problem[] {
  const path = [...prefix, ...issue.path.filter((s): s is PathSegment => typeof s === "string" || typeof s === "number")];
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    // Report the branch the author evidently meant: one whose problems lie inside the value
    // (e.g. a statement list with a bad Effect) rather than "expected object, got array".
    const branches = issue.errors;
    const rootMismatch = (b: readonly Issue[]) => b.every((i) => i.path.length === 0 && i.code === "invalid_type");
    const meant = branches.find((b) => !rootMismatch(b));
    if (meant !== undefined) return meant.flatMap((i) => issueToProblems(i, where, path));
    const expected = branches.flatMap((b) => b.flatMap((i) => (i.code === "invalid_type" ? [i.expected] : [])));
    return [problem("error", path, `${where}expected ${[...new Set(expected)].join(" or ")}${got(issue.input)}`)];
  }
  if (issue.code === "invalid_key") {
    return [problem("error", path, `${where}${issue.issues.map((i) => i.message).join("; ")}${got(issue.input)}`)];
  }
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys;
    const valid = keysAt(configSchema, path);
    const hint = keys.length === 1 ? didYouMean(keys[0] ?? "", valid) : "";
    return [problem("error", [...path, keys[0] ?? ""], `${where}unknown key${keys.length > 1 ? "s" : ""} ${keys.map((k) => JSON.stringify(k)).join(", ")} in ${formatPath(path) || "the top level"}${hint || "; check the spelling against the config reference"}`)];
  }
  // Passwords and nkeys are secrets (a pasted nkey seed too): never repeat the refused value.
  const secret = path.some((s) => s === "password" || s === "nkey");
  return [problem("error", path, `${where}${issue.message}${secret ? "" : got(issue.input)}`)];
}

function protoKeyPaths(value: unknown, path: PathSegment[] = []): PathSegment[][] {
  if (Array.isArray(value)) return value.flatMap((v: unknown, i) => protoKeyPaths(v, [...path, i]));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => (k === "__proto__" ? [[...path, k]] : protoKeyPaths(v, [...path, k])));
}

function got(input: unknown): string {
  if (input === undefined) return " (missing)";
  if (typeof input === "object" && input !== null) return Array.isArray(input) ? " (got a list)" : " (got a map)";
  return ` (got ${preview(input)})`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
