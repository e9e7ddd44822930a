// Generates static protobuf code (pbjs) and its typings (pbts) from proto/credvend/v1.
// Output goes to packages/protocol/gen/ (not in git); src/ imports it, and dist/ reaches it at
// the same relative path, so nothing needs copying. Skipped when the output is newer than the protos.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const protoDir = path.resolve(pkgDir, "../../proto/credvend/v1");
const outDir = path.join(pkgDir, "gen");
const outJs = path.join(outDir, "credvend.js");
const outDts = path.join(outDir, "credvend.d.ts");

const protos = fs.readdirSync(protoDir).filter((f) => f.endsWith(".proto")).map((f) => path.join(protoDir, f));
const newestProto = Math.max(...protos.map((f) => fs.statSync(f).mtimeMs), fs.statSync(fileURLToPath(import.meta.url)).mtimeMs);
const upToDate = fs.existsSync(outJs) && fs.existsSync(outDts) && fs.statSync(outDts).mtimeMs >= newestProto;
if (!upToDate) {
  const require = createRequire(import.meta.url);
  const cliDir = path.dirname(require.resolve("protobufjs-cli/package.json"));
  fs.mkdirSync(outDir, { recursive: true });
  execFileSync(process.execPath, [path.join(cliDir, "bin/pbjs"), "-t", "static-module", "-w", "es6", "--force-number",
    "--no-verify", "--no-delimited", "--no-beautify", "-o", outJs, ...protos], { stdio: "inherit" });
  // With --force-number pbjs still gives absent int64 fields a Long default on the prototype
  // (a truthy object, so `if (!request.deadlineMs)` would be wrong). Numbers everywhere instead.
  const js = fs.readFileSync(outJs, "utf8");
  const longDefault = /\$util\.Long \? \$util\.Long\.fromBits\(0,0,(?:false|true)\) : 0/g;
  fs.writeFileSync(outJs, js.replace(longDefault, "0"));
  execFileSync(process.execPath, [path.join(cliDir, "bin/pbts"), "--no-comments", "-o", outDts, outJs], { stdio: "inherit" });
  fs.writeFileSync(path.join(outDir, "package.json"), JSON.stringify({ type: "module" }) + "\n");
}
