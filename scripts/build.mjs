// Builds the workspace: protobuf code generation, then one `tsc -b` over every project.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function run(cmd, args, cwd = root) {
  const r = spawnSync(cmd, args, { cwd, stdio: "inherit" });
  if (r.status !== 0) {
    console.error(`build: '${cmd} ${args.join(" ")}' failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

run(process.execPath, [path.join(root, "packages/protocol/scripts/gen.mjs")]);
run(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-b", ...process.argv.slice(2)]);
// credvend credential-process as one bundled file (services/cli/scripts/bundle.mjs), after tsc.
run(process.execPath, [path.join(root, "services/cli/scripts/bundle.mjs")]);
