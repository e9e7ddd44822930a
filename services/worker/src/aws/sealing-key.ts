// The fleet's X25519 sealing key (CREDVEND_SEALING_KEY_FILE), read once at start-up: a missing or
// wrong file stops the worker with what to fix, before any connection is made.
import { ReplyKeyError, sealingKeyFromPem, type SealingKey } from "@credvend/envelope";
import { readFileSync } from "node:fs";
import { WorkerStartError } from "../run.js";

export function loadSealingKey(file: string): SealingKey {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (cause) {
    throw new WorkerStartError(`cannot read CREDVEND_SEALING_KEY_FILE ${file}: ${(cause as Error).message}`, { cause });
  }
  try {
    return sealingKeyFromPem(pem);
  } catch (error) {
    if (error instanceof ReplyKeyError) throw new WorkerStartError(`CREDVEND_SEALING_KEY_FILE ${file} ${error.message}`, { cause: error });
    throw error;
  } finally {
    pem.fill(0);
  }
}
