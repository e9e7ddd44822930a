// V8's code cache for the bundled credential-process entry point (Node >= 22.1,
// module.enableCompileCache): the AWS CLI runs credential-process for every command, and
// compiling the bundle is a large part of a warm call. Code cache is input V8 trusts, so it is
// kept only in the user's private credvend cache directory (0700, ours, not a symlink), never in
// a shared temp folder another user could write; where that directory is not private yet (or the
// user chose NODE_COMPILE_CACHE / NODE_DISABLE_COMPILE_CACHE), nothing is enabled.
import { chmodSync, lstatSync, mkdirSync } from "node:fs";
import module from "node:module";
import path from "node:path";
import { cacheDirFromEnv } from "./requester/cache/location.js";

type EnableCompileCache = (directory: string) => unknown;

export function enablePrivateCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  const enable = (module as unknown as { enableCompileCache?: EnableCompileCache }).enableCompileCache;
  if (enable === undefined || env.NODE_COMPILE_CACHE !== undefined || env.NODE_DISABLE_COMPILE_CACHE !== undefined) return;
  const dir = cacheDirFromEnv(env);
  try {
    const st = lstatSync(dir);
    if (st.isSymbolicLink() || !st.isDirectory() || (st.mode & 0o077) !== 0 || (process.getuid !== undefined && st.uid !== process.getuid())) return;
  } catch {
    return;
  }
  // Closed to others like the rest of the cache (Node would make it with the umask's mode).
  const target = path.join(dir, "node-compile-cache");
  try {
    mkdirSync(target, { recursive: true, mode: 0o700 });
    chmodSync(target, 0o700);
  } catch {
    return;
  }
  enable(target);
}
