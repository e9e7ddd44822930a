// The per-user cache directory. It holds only sealed replies (which only the requester's own KMS
// identity can open), yet it is still kept private: another user must not learn which templates
// and parameters someone uses, nor plant an entry or a lock. A directory that is a symlink, is
// owned by someone else or is open to others is refused, never repaired silently.
import { lstatSync, mkdirSync } from "node:fs";
import { CliFailure } from "../../args.js";

export { cacheDirFromEnv } from "./location.js";

export class CacheDirError extends CliFailure {}

const FIX = "or set CREDVEND_CACHE_DIR to a private directory, or pass --no-cache";

/** Creates the directory (0700) if missing, then refuses it unless it is a real directory, ours, and closed to others. */
export function privateCacheDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new CacheDirError(`cache directory ${dir} is not a directory (a symlink or a file); remove it, ${FIX}`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new CacheDirError(`cache directory ${dir} belongs to uid ${st.uid}, not to this user (uid ${uid}); ${FIX}`);
  if ((st.mode & 0o077) !== 0) {
    throw new CacheDirError(`cache directory ${dir} is open to other users (mode ${(st.mode & 0o777).toString(8).padStart(4, "0")}); run chmod 700 ${dir}, ${FIX}`);
  }
  return dir;
}
