// Dependencies run one way (README, Development): the real tree obeys every rule, and the checker
// is shown to catch each kind of violation planted in a temporary copy of a small tree.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "./support/cli.js";
import { layoutViolations, readWorkspaces } from "./support/layout.js";

test("the workspace obeys the dependency rules", () => {
  assert.deepEqual(layoutViolations(ROOT), []);
});

test("the checker sees the real tree (workspaces, imports and references are read)", () => {
  const workspaces = readWorkspaces(ROOT);
  const cli = workspaces.find((w) => w.name === "@credvend/cli");
  assert.ok(cli, "services/cli is a workspace");
  assert.ok(cli.imports.some((i) => i.packageName === "@credvend/worker" && !i.testOnly));
  assert.ok(cli.references.includes("services/worker"));
  const guard = workspaces.find((w) => w.name === "@credvend/guard");
  assert.ok(guard?.imports.some((i) => i.packageName === "@credvend/testkit" && i.testOnly), "guard's src/testing helpers count as test-only");
});

describe("a planted violation is caught", () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  interface Ws {
    readonly dir: string;
    readonly name: string;
    readonly deps?: readonly string[];
    readonly devDeps?: readonly string[];
    readonly refs?: readonly string[];
    /** file (under src/) → source text */
    readonly src?: Readonly<Record<string, string>>;
    readonly shipped?: boolean;
  }

  /** A sound tree in the real shape; `change` edits one workspace to plant a violation. */
  function tree(change: (ws: Ws[]) => Ws[]): string {
    const root = mkdtempSync(path.join(tmpdir(), "credvend-layout-"));
    dirs.push(root);
    const base: Ws[] = [
      { dir: "packages/protocol", name: "@credvend/protocol", src: { "index.ts": `export const x = 1;\n` } },
      { dir: "packages/envelope", name: "@credvend/envelope", deps: ["@credvend/protocol"], refs: ["../protocol"], src: { "index.ts": `import { x } from "@credvend/protocol";\nexport const y = x;\n` } },
      { dir: "packages/policy", name: "@credvend/policy", deps: ["@credvend/protocol"], src: { "index.ts": `import "@credvend/protocol";\n` } },
      { dir: "packages/guard", name: "@credvend/guard", deps: ["@credvend/protocol"], devDeps: ["@credvend/testkit"], src: { "index.ts": `export {};\n`, "testing/fixtures.ts": `import "@credvend/testkit";\n` } },
      { dir: "packages/client", name: "@credvend/client", deps: ["@credvend/protocol", "@credvend/envelope", "nats"], src: { "index.ts": `import type { NatsConnection } from "nats";\nimport "node:fs";\nimport "fs";\nexport type C = NatsConnection;\n` } },
      { dir: "packages/testkit", name: "@credvend/testkit", deps: [], shipped: false, src: { "index.ts": `export {};\n` } },
      { dir: "services/aws-local", name: "@credvend/aws-local", deps: ["yaml"], src: { "index.ts": `import "yaml";\n`, "a.test.ts": `import "@aws-sdk/client-sts";\n` } },
      { dir: "services/worker", name: "@credvend/worker", deps: ["@credvend/policy", "@credvend/guard"], refs: ["../../packages/policy"], src: { "index.ts": `import "@credvend/policy";\nconst g = await import("@credvend/guard");\n` } },
    ];
    const workspaces = change(base);
    writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "root", private: true, workspaces: workspaces.map((w) => w.dir) }));
    for (const w of workspaces) {
      const dir = path.join(root, w.dir);
      mkdirSync(path.join(dir, "src"), { recursive: true });
      const record = (xs: readonly string[] | undefined) => Object.fromEntries((xs ?? []).map((n) => [n, "0.1.0"]));
      writeFileSync(path.join(dir, "package.json"), JSON.stringify({
        name: w.name,
        dependencies: record(w.deps),
        devDependencies: record(w.devDeps),
        ...(w.shipped === false ? {} : { files: ["dist"] }),
      }));
      // A comment and a trailing comma, as real tsconfig files may have.
      writeFileSync(path.join(dir, "tsconfig.json"), `{\n  // project\n  "references": [${(w.refs ?? []).map((r) => `{ "path": "${r}" },`).join(" ")}]\n}\n`);
      for (const [file, text] of Object.entries(w.src ?? {})) {
        mkdirSync(path.dirname(path.join(dir, "src", file)), { recursive: true });
        writeFileSync(path.join(dir, "src", file), text);
      }
    }
    return root;
  }

  const edit = (dir: string, f: (w: Ws) => Ws) => (ws: Ws[]) => ws.map((w) => (w.dir === dir ? f(w) : w));
  const addSrc = (file: string, text: string) => (w: Ws): Ws => ({ ...w, src: { ...w.src, [file]: text } });

  test("the sound tree passes", () => {
    assert.deepEqual(layoutViolations(tree((ws) => ws)), []);
  });

  const cases: [string, (ws: Ws[]) => Ws[], RegExp][] = [
    ["a package's dependency on a service", edit("packages/testkit", (w) => ({ ...w, deps: ["@credvend/aws-local"] })), /packages\/testkit: dependencies lists @credvend\/aws-local: a package never depends on a service/],
    ["a package's devDependency on a service", edit("packages/envelope", (w) => ({ ...w, devDeps: ["@credvend/aws-local"] })), /packages\/envelope: devDependencies lists @credvend\/aws-local: a package never/],
    ["a package's test importing a service", edit("packages/envelope", addSrc("kms.test.ts", `import { startAwsLocal } from "@credvend/aws-local";\n`)), /packages\/envelope\/src\/kms\.test\.ts imports @credvend\/aws-local: a package never/],
    ["a package's tsconfig reference to a service", edit("packages/envelope", (w) => ({ ...w, refs: ["../../services/aws-local"] })), /packages\/envelope: tsconfig\.json references services\/aws-local: a package never/],
    ["a dynamic import of a service", edit("packages/guard", addSrc("lazy.ts", `export const w = () => import("@credvend/worker");\n`)), /packages\/guard\/src\/lazy\.ts imports @credvend\/worker/],
    ["policy importing envelope", edit("packages/policy", addSrc("seal.ts", `export { y } from "@credvend/envelope";\n`)), /packages\/policy: .*imports @credvend\/envelope: policy, envelope and guard never depend on each other/],
    ["guard listing policy", edit("packages/guard", (w) => ({ ...w, devDeps: ["@credvend/policy"] })), /packages\/guard: devDependencies lists @credvend\/policy: policy, envelope and guard/],
    ["the client depending on guard", edit("packages/client", (w) => ({ ...w, deps: [...(w.deps ?? []), "@credvend/guard"] })), /packages\/client: dependencies lists @credvend\/guard: the client depends only on protocol and envelope/],
    ["the client importing policy", edit("packages/client", addSrc("rules.ts", `import type { X } from "@credvend/policy";\n`)), /packages\/client: packages\/client\/src\/rules\.ts imports @credvend\/policy: the client depends only/],
    ["runtime code importing an undeclared package", edit("services/worker", addSrc("log.ts", `import { pino } from "pino";\n`)), /services\/worker: services\/worker\/src\/log\.ts imports pino, which is not in its dependencies/],
    ["a sub-path import of an undeclared package", edit("packages/client", addSrc("kms.ts", `import { KMSClient } from "@aws-sdk/client-kms/dist-cjs/index.js";\n`)), /imports @aws-sdk\/client-kms, which is not in its dependencies/],
    ["aws-local with a @credvend dependency", edit("services/aws-local", (w) => ({ ...w, deps: [...(w.deps ?? []), "@credvend/protocol"] })), /services\/aws-local: dependencies lists @credvend\/protocol: aws-local is a leaf/],
  ];
  for (const [name, change, expected] of cases) {
    test(name, () => {
      const found = layoutViolations(tree(change));
      assert.ok(found.some((v) => expected.test(v)), `expected ${expected}, got:\n${found.join("\n")}`);
    });
  }

  test("test files and src/testing helpers may use dev dependencies; shipped code may not", () => {
    const testOnly = layoutViolations(tree(edit("services/worker", addSrc("x.test.ts", `import "fast-check";\n`))));
    assert.deepEqual(testOnly, []);
    const shipped = layoutViolations(tree(edit("services/worker", addSrc("x.ts", `import "fast-check";\n`))));
    assert.equal(shipped.length, 1, shipped.join("\n"));
  });
});
