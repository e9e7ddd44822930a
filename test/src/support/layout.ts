// The dependency rules of the workspace layout, checked from package.json files, source imports and
// tsconfig references (README, Development). Pure over a directory tree, so a test can prove it
// catches a violation planted in a temporary copy.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import path from "node:path";
import ts from "typescript";

export interface Workspace {
  /** Path relative to the root, e.g. "packages/client". */
  readonly dir: string;
  readonly name: string;
  readonly kind: "package" | "service" | "other";
  readonly dependencies: readonly string[];
  readonly devDependencies: readonly string[];
  /** Shipped workspaces have a `files` list: their runtime imports must be in `dependencies`. */
  readonly shipped: boolean;
  /** Workspace directories named by tsconfig.json `references` (relative to the root). */
  readonly references: readonly string[];
  readonly imports: readonly SourceImport[];
}

export interface SourceImport {
  /** File relative to the root. */
  readonly file: string;
  /** The package name (`@scope/name` or `name`) of a bare specifier. */
  readonly packageName: string;
  /** A test file or a test helper under src/testing/: never part of what ships. */
  readonly testOnly: boolean;
}

interface PackageJson {
  name?: string;
  workspaces?: string[];
  files?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|js|mjs)$/.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => path.join(e.parentPath, e.name));
}

function importsOf(root: string, wsDir: string): SourceImport[] {
  const files = ["src", "bin"].flatMap((sub) => sourceFiles(path.join(root, wsDir, sub)));
  return files.flatMap((full) => {
    const file = path.relative(root, full);
    const testOnly = /\.test\.[mc]?[jt]s$/.test(file) || file.split(path.sep).includes("testing");
    // The compiler's own pre-processor: static, type-only, re-exports and dynamic import("x").
    const info = ts.preProcessFile(readFileSync(full, "utf8"), true, true);
    return info.importedFiles
      .map((f) => f.fileName)
      .filter((spec) => !spec.startsWith(".") && !spec.startsWith("/") && !isBuiltin(spec))
      .map((spec) => ({ file, packageName: packageNameOf(spec), testOnly }));
  });
}

function referencesOf(root: string, wsDir: string): string[] {
  const file = path.join(root, wsDir, "tsconfig.json");
  if (!existsSync(file)) return [];
  // tsconfig allows comments and trailing commas: let the compiler parse it.
  const parsed = ts.parseConfigFileTextToJson(file, readFileSync(file, "utf8"));
  const refs = (parsed.config as { references?: { path: string }[] } | undefined)?.references ?? [];
  return refs.map((r) => path.relative(root, path.resolve(root, wsDir, r.path)));
}

export function readWorkspaces(root: string): Workspace[] {
  const rootPkg = readJson<PackageJson>(path.join(root, "package.json"));
  return (rootPkg.workspaces ?? []).map((dir) => {
    const pkg = readJson<PackageJson>(path.join(root, dir, "package.json"));
    const top = dir.split("/")[0];
    return {
      dir,
      name: pkg.name ?? dir,
      kind: top === "packages" ? "package" : top === "services" ? "service" : "other",
      dependencies: Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies }),
      devDependencies: Object.keys(pkg.devDependencies ?? {}),
      shipped: Array.isArray(pkg.files),
      references: referencesOf(root, dir),
      imports: importsOf(root, dir),
    };
  });
}

/** The rules, one violation per line (empty: the layout is sound). */
export function layoutViolations(root: string): string[] {
  const workspaces = readWorkspaces(root);
  const byName = new Map(workspaces.map((w) => [w.name, w]));
  const byDir = new Map(workspaces.map((w) => [w.dir, w]));
  const out: string[] = [];

  // Every way a workspace can lean on another: declared, imported (tests included), referenced.
  const edges = (w: Workspace) => [
    ...w.dependencies.map((n) => ({ to: byName.get(n), how: `dependencies lists ${n}` })),
    ...w.devDependencies.map((n) => ({ to: byName.get(n), how: `devDependencies lists ${n}` })),
    ...w.imports.map((i) => ({ to: byName.get(i.packageName), how: `${i.file} imports ${i.packageName}` })),
    ...w.references.map((d) => ({ to: byDir.get(d), how: `tsconfig.json references ${d}` })),
  ].filter((e): e is { to: Workspace; how: string } => e.to !== undefined && e.to !== w);

  const SIBLINGS = new Set(["@credvend/policy", "@credvend/envelope", "@credvend/guard"]);
  const CLIENT_RUNTIME = new Set(["@credvend/protocol", "@credvend/envelope"]);
  for (const w of workspaces) {
    for (const { to, how } of edges(w)) {
      if (w.kind === "package" && to.kind === "service") out.push(`${w.dir}: ${how}: a package never depends on a service`);
      if (SIBLINGS.has(w.name) && SIBLINGS.has(to.name)) out.push(`${w.dir}: ${how}: policy, envelope and guard never depend on each other`);
      if (w.name === "@credvend/aws-local") out.push(`${w.dir}: ${how}: aws-local is a leaf with no @credvend dependency`);
    }
    if (w.name === "@credvend/client") {
      for (const n of w.dependencies) {
        if (n.startsWith("@credvend/") && !CLIENT_RUNTIME.has(n)) out.push(`${w.dir}: dependencies lists ${n}: the client depends only on protocol and envelope`);
      }
      for (const i of w.imports) {
        if (!i.testOnly && i.packageName.startsWith("@credvend/") && !CLIENT_RUNTIME.has(i.packageName)) {
          out.push(`${w.dir}: ${i.file} imports ${i.packageName}: the client depends only on protocol and envelope`);
        }
      }
    }
    if (w.shipped) {
      const declared = new Set([...w.dependencies, w.name]);
      for (const i of w.imports) {
        if (!i.testOnly && !declared.has(i.packageName)) {
          out.push(`${w.dir}: ${i.file} imports ${i.packageName}, which is not in its dependencies: an install from the tarball would not find it`);
        }
      }
    }
  }
  return [...new Set(out)].sort();
}
