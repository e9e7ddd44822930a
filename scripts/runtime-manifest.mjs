// The image's production install: rewrites ./package.json (in the image's deps stage, or a test's
// copy) to list only the runtime workspaces, so `npm install --omit=dev` brings no test harness
// (npm installs every listed workspace's dependencies, and the testkit's are testcontainers).
import { readFileSync, writeFileSync } from "node:fs";

export const RUNTIME_WORKSPACES = [
  "packages/protocol", "packages/policy", "packages/envelope", "packages/guard", "packages/client",
  "packages/launcher", "services/aws-local", "services/worker", "services/cli",
];

const file = process.argv[2] ?? "package.json";
const manifest = JSON.parse(readFileSync(file, "utf8"));
const unknown = RUNTIME_WORKSPACES.filter((w) => !manifest.workspaces.includes(w));
if (unknown.length) throw new Error(`${file} has no workspace ${unknown.join(", ")}`);
manifest.workspaces = manifest.workspaces.filter((w) => RUNTIME_WORKSPACES.includes(w));
delete manifest.devDependencies;
delete manifest.scripts;
writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
