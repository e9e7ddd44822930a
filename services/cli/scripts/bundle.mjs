// Bundles the credential-process entry point (dist/credential-process-main.js, compiled by tsc)
// into dist/bundle/: one file for the warm path, with the AWS SDK's ESM build inside, and chunks
// for what only a cold call or a failure loads (NATS, the client, the failure registry). Node
// resolving and lexing a few hundred CommonJS files was most of a warm call's time.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outdir = path.join(cli, "dist/bundle");
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [path.join(cli, "dist/credential-process-main.js")],
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // The SDK's ESM build (dist-es) instead of its CommonJS one.
  mainFields: ["module", "main"],
  // CommonJS dependencies inside an ES module still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __credvendCreateRequire } from 'node:module'; const require = __credvendCreateRequire(import.meta.url);" },
  logLevel: "warning",
  legalComments: "none",
});
