// A key file named by a setting (CREDVEND_SEALING_KEY_FILE, CREDVEND_PEER_KEY_FILE), read once at
// start-up: one that can not be read stops the worker, naming the setting and the file.
import { readFileSync } from "node:fs";
import { WorkerStartError } from "../run.js";

/** The file's bytes; the caller zeroes them once it has what it needs. */
export function readKeyFile(setting: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new WorkerStartError(`cannot read ${setting} ${file}: ${(cause as Error).message}`, { cause });
  }
}
