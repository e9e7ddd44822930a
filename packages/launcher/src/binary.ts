import fs from "node:fs";
import path from "node:path";
import { MissingBinaryError } from "./errors.js";

// Debian installs nats-server into /usr/sbin, which is not on a normal user's PATH.
const EXTRA_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin"] as const;

/** Absolute path of an executable, or MissingBinaryError. An explicit path is checked as given. */
export function findBinary(name: string, pathEnv: string = process.env["PATH"] ?? ""): string {
  if (name.includes(path.sep)) {
    if (isExecutable(name)) return path.resolve(name);
    throw new MissingBinaryError(name, []);
  }
  const dirs = [...pathEnv.split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  throw new MissingBinaryError(name, EXTRA_DIRS);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
