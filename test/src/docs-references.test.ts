// What the docs a new engineer follows name must exist, so a rename or removal can not leave the
// docs behind: every `credvend <command> [<subcommand>] --flag` in a code span or block is a command
// with that flag in its --help; every CREDVEND_* variable is read by shipped code; every metric is
// one the worker registers; every CV_ERR_/CV_OP_ reason is in its registry; every repository path
// and relative link resolves; the README's example config is the file it says it is. No servers:
// the command runs only with --help.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { REASONS } from "@credvend/protocol";
import { credvend, ROOT } from "./support/cli.js";

const SKIP_DIRS = new Set(["node_modules", "dist", ".git", ".scratch"]);

function walk(dir: string, keep: (file: string) => boolean, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name) || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, keep, out);
    else if (keep(full)) out.push(full);
  }
  return out;
}

/** The docs: README, docs/, every package's and service's README, the examples' READMEs, bench. */
const DOCS: readonly string[] = [
  path.join(ROOT, "README.md"),
  path.join(ROOT, "bench/README.md"),
  ...walk(path.join(ROOT, "docs"), (f) => f.endsWith(".md")),
  ...["packages", "services"].flatMap((d) => readdirSync(path.join(ROOT, d)).map((p) => path.join(ROOT, d, p, "README.md"))),
  ...walk(path.join(ROOT, "services/cli/examples"), (f) => f.endsWith(".md")),
  ...walk(path.join(ROOT, "examples"), (f) => f.endsWith(".md")),
].filter((f) => existsSync(f));

const rel = (file: string) => path.relative(ROOT, file);
const text = (file: string) => readFileSync(file, "utf8");

/** Code the reader types or reads literally: fenced blocks and inline code spans, with the line each starts on. */
function codeOf(doc: string): { code: string; line: number }[] {
  const out: { code: string; line: number }[] = [];
  const lineAt = (i: number) => doc.slice(0, i).split("\n").length;
  const fences = /^```[^\n]*\n([\s\S]*?)^```/gm;
  // Comments in a block (`# the credvend command`) are prose.
  for (const m of doc.matchAll(fences)) out.push({ code: m[1]!.replace(/(^|\s)#.*$/gm, "$1"), line: lineAt(m.index!) });
  // Inline spans outside the fences (blanked, keeping line numbers).
  const prose = doc.replace(fences, (block) => block.replace(/[^\n]/g, " "));
  for (const m of prose.matchAll(/`([^`\n]+)`/g)) out.push({ code: m[1]!, line: lineAt(m.index!) });
  return out;
}

interface Mention {
  readonly doc: string;
  readonly line: number;
  readonly command: string;
  readonly sub: string | undefined;
  readonly flags: readonly string[];
  readonly source: string;
}

/** `credvend X [Y] --a --b` (also `credvend.js X`), flags up to a shell separator or a bare `--`. */
function mentions(): Mention[] {
  const out: Mention[] = [];
  for (const doc of DOCS) {
    for (const { code, line } of codeOf(text(doc))) {
      for (const m of code.matchAll(/(?:^|[\s"'(`$])credvend(?:\.js'?)? ([a-z][a-z-]*)((?:[^\n|;&#>)`]*))/g)) {
        const rest = m[2]!.split(/\s--(?:\s|$)/)[0]!;
        const sub = /^\s+([a-z][a-z-]*)/.exec(rest)?.[1];
        const flags = [...rest.matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((f) => f[0]);
        out.push({ doc: rel(doc), line, command: m[1]!, sub, flags, source: m[0].trim() });
      }
    }
  }
  return out;
}

test("the docs name only credvend commands, subcommands and flags that exist (as their --help shows)", async () => {
  const top = await credvend(["--help"]);
  assert.equal(top.code, 0, top.stderr);
  const commands = new Map<string, Set<string>>();
  for (const m of top.stdout.matchAll(/^ {2}([a-z][a-z-]*)(?: ([a-z][a-z-]*))?/gm)) {
    const subs = commands.get(m[1]!) ?? new Set<string>();
    if (m[2]) subs.add(m[2]);
    commands.set(m[1]!, subs);
  }
  assert.ok(commands.size >= 15 && commands.get("templates")?.has("lint"), `parsed the command list: ${[...commands.keys()].join(" ")}`);
  const helps = new Map<string, string>();
  const helpOf = async (args: string[]): Promise<string> => {
    const key = args.join(" ");
    if (!helps.has(key)) {
      const r = await credvend([...args, "--help"]);
      assert.equal(r.code, 0, `credvend ${key} --help: ${r.stderr}`);
      helps.set(key, r.stdout);
    }
    return helps.get(key)!;
  };
  const found = mentions();
  assert.ok(found.length >= 50, `found ${found.length} mentions of credvend commands in ${DOCS.length} docs`);
  const wrong: string[] = [];
  for (const m of found) {
    const at = `${m.doc}:${m.line}: ${m.source}`;
    const subs = commands.get(m.command);
    if (!subs) {
      // `credvend statsu` is the README's own example of a misspelling.
      if (m.command !== "statsu") wrong.push(`${at}: no command '${m.command}'`);
      continue;
    }
    const withSub = subs.size > 0 && m.sub !== undefined;
    if (withSub && !subs.has(m.sub!)) {
      wrong.push(`${at}: '${m.command}' has no subcommand '${m.sub}' (${[...subs].join(", ")})`);
      continue;
    }
    const help = await helpOf(withSub ? [m.command, m.sub!] : [m.command]);
    for (const flag of m.flags) {
      if (flag === "--help" || flag === "--version") continue;
      if (!new RegExp(`(?<![\\w-])${flag}(?![\\w-])`).test(help)) wrong.push(`${at}: '${flag}' is not in 'credvend ${withSub ? `${m.command} ${m.sub}` : m.command} --help'`);
    }
  }
  assert.deepEqual(wrong, []);
});

/** Shipped code: every non-test source file of the packages, services and scripts. */
function shippedSource(): string {
  const files = [
    ...["packages", "services"].flatMap((d) => readdirSync(path.join(ROOT, d)).flatMap((p) => [path.join(ROOT, d, p, "src"), path.join(ROOT, d, p, "bin")])),
    path.join(ROOT, "scripts"),
  ].flatMap((dir) => walk(dir, (f) => /\.(ts|mjs|js)$/.test(f) && !f.endsWith(".test.ts") && !f.includes(`${path.sep}testing${path.sep}`)));
  return files.map(text).join("\n");
}

test("every CREDVEND_* variable the docs name is read by shipped code", () => {
  const source = shippedSource();
  const wrong: string[] = [];
  for (const doc of DOCS) {
    for (const m of text(doc).matchAll(/\bCREDVEND_[A-Z0-9_]+/g)) {
      const name = m[0];
      if (name.endsWith("_")) continue; // a family, e.g. CREDVEND_AWS_*
      if (!new RegExp(`\\b${name}\\b`).test(source)) wrong.push(`${rel(doc)}: ${name}`);
    }
  }
  assert.deepEqual([...new Set(wrong)], []);
});

test("every credvend_* metric the docs name is one the worker registers", () => {
  const metricsTs = text(path.join(ROOT, "services/worker/src/http/metrics.ts"));
  const block = /export const METRIC_NAMES = \{([\s\S]*?)\} as const/.exec(metricsTs)?.[1] ?? "";
  const registered = new Set([...block.matchAll(/"(credvend_[a-z_]+)"/g)].map((m) => m[1]!));
  assert.ok(registered.size >= 10, `read ${registered.size} metric names from METRIC_NAMES`);
  const wrong: string[] = [];
  for (const doc of [...DOCS, path.join(ROOT, "docs/grafana-dashboard.json")]) {
    for (const m of text(doc).matchAll(/\bcredvend_[a-z_]+/g)) {
      const name = m[0].replace(/_(bucket|sum|count)$/, "");
      if (!registered.has(name)) wrong.push(`${rel(doc)}: ${m[0]}`);
    }
  }
  assert.deepEqual([...new Set(wrong)], []);
});

test("every CV_ERR_ and CV_OP_ reason the docs name is in its registry", () => {
  const failures = text(path.join(ROOT, "services/cli/src/failures.ts"));
  const operator = new Set([...failures.matchAll(/"(CV_OP_[A-Z0-9_]+)"/g)].map((m) => m[1]!));
  assert.ok(operator.size >= 5, "read the operator failures");
  const wrong: string[] = [];
  for (const doc of DOCS) {
    for (const m of text(doc).matchAll(/\bCV_(?:ERR|OP)_[A-Z0-9_]+/g)) {
      const name = m[0];
      if (name.endsWith("_") || name === "CV_ERR_CLIENT") continue; // a family: CV_ERR_CLIENT_*, CV_ERR_…
      if (!Object.hasOwn(REASONS, name) && !operator.has(name)) wrong.push(`${rel(doc)}: ${name}`);
    }
  }
  assert.deepEqual([...new Set(wrong)], []);
});

test("repository paths in the docs' code spans and their relative links resolve", () => {
  const testNames = new Set(["packages", "services", "test"].flatMap((d) => walk(path.join(ROOT, d), (f) => f.endsWith(".test.ts"))).map((f) => path.basename(f)));
  const wrong: string[] = [];
  for (const doc of DOCS) {
    const body = text(doc);
    const here = path.dirname(doc);
    for (const m of body.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue;
      if (!existsSync(path.resolve(here, target))) wrong.push(`${rel(doc)}: link ${target}`);
    }
    for (const m of body.matchAll(/`([^`\s]+)`/g)) {
      const span = m[1]!;
      if (/[<>*…{}$]|\.\.\./.test(span)) continue; // placeholders and globs
      if (/^(packages|services|test|bench|scripts|docs|deploy|proto|examples)\/[\w./-]*$/.test(span)) {
        if (!existsSync(path.join(ROOT, span)) && !existsSync(path.resolve(here, span))) wrong.push(`${rel(doc)}: ${span}`);
      } else if (/^[\w-]+\.test\.ts$/.test(span) && !testNames.has(span)) {
        wrong.push(`${rel(doc)}: test ${span}`);
      }
    }
  }
  assert.deepEqual([...new Set(wrong)], []);
});

test("the README's example config is services/cli/examples/credvend.yaml, and it lints", async () => {
  const readme = text(path.join(ROOT, "README.md"));
  const at = readme.indexOf("This is `services/cli/examples/credvend.yaml`");
  assert.ok(at > 0, "the README introduces its example config");
  const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
  const file = path.join(ROOT, "services/cli/examples/credvend.yaml");
  const withoutHeader = text(file).replace(/^(#[^\n]*\n)+/, "");
  assert.equal(block, withoutHeader, "copy services/cli/examples/credvend.yaml (below its header comment) into the README's Example config");
  assert.ok(statSync(file).isFile());
  const lint = await credvend(["templates", "lint", file]);
  assert.equal(lint.code, 0, lint.stdout + lint.stderr);
});
