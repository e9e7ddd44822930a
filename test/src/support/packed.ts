// The tarballs of every shipped package, packed from this checkout and installed into a folder
// outside it, where no node_modules of the checkout can be found: what a user of the client SDK
// or of the credvend command gets. npm's cache makes the install take seconds after the first run.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./cli.js";

const run = promisify(execFile);

/** What a client user and a CLI user install; the CLI's dependencies come along as tarballs too. */
export const WORKSPACES = [
  "packages/protocol", "packages/envelope", "packages/client",
  "packages/policy", "packages/guard", "packages/launcher",
  "services/aws-local", "services/worker", "services/cli",
];

/** A clean environment: nothing that points node or npm back into this checkout. */
export const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? tmpdir(),
  // The machine's own trust for the registry: where it is reached through a proxy with its own
  // CA, npm on Node 24 refuses the registry's certificate without these, whatever npm's cafile.
  ...pick(process.env, ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR"]),
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  ...extra,
});

function pick(env: NodeJS.ProcessEnv, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Packs every workspace into `project` and returns the tarballs' names (./credvend-*.tgz). */
export async function packTarballs(project: string): Promise<string[]> {
  const packed = await run("npm", ["pack", "--json", "--pack-destination", project, ...WORKSPACES.flatMap((w) => ["-w", w])], { cwd: ROOT, maxBuffer: 32 << 20 });
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "outside", version: "1.0.0", private: true, type: "module" }));
  return (JSON.parse(packed.stdout) as { filename: string }[]).map((p) => `./${p.filename}`);
}

/**
 * Installs the tarballs together, so each @credvend/* dependency is satisfied by its tarball. The
 * @credvend scope points at a closed port: were any of them fetched from a registry (where the name
 * is not ours), the install would fail instead of quietly taking someone else's package.
 */
export async function installTarballs(project: string, tarballs: readonly string[], extra: readonly string[] = []): Promise<void> {
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", "--@credvend:registry=http://127.0.0.1:1/", "--fetch-retries=0", ...extra, ...tarballs], { cwd: project, env: cleanEnv(), maxBuffer: 32 << 20 });
}
