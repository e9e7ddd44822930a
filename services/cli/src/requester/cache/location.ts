// Where the per-user cache lives. No imports beyond Node's own: the launcher reads it before
// anything else is loaded (the compile cache, bin/credvend.js).
import { homedir } from "node:os";
import path from "node:path";

/** Part of the CLI's settings: CREDVEND_CACHE_DIR, else $XDG_CACHE_HOME/credvend, else ~/.cache/credvend. */
export function cacheDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CREDVEND_CACHE_DIR) return path.resolve(env.CREDVEND_CACHE_DIR);
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(homedir(), ".cache");
  return path.join(base, "credvend");
}
