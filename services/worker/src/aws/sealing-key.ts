// The fleet's X25519 sealing key (CREDVEND_SEALING_KEY_FILE), read once at start-up: a missing or
// wrong file stops the worker with what to fix, before any connection is made.
import { ReplyKeyError, sealingKeyFromPem, type SealingKey } from "@credvend/envelope";
import { WorkerStartError } from "../run.js";
import { readKeyFile } from "./key-file.js";

export function loadSealingKey(file: string): SealingKey {
  const pem = readKeyFile("CREDVEND_SEALING_KEY_FILE", file);
  try {
    return sealingKeyFromPem(pem);
  } catch (error) {
    if (error instanceof ReplyKeyError) throw new WorkerStartError(`CREDVEND_SEALING_KEY_FILE ${file} ${error.message}`, { cause: error });
    throw error;
  } finally {
    pem.fill(0);
  }
}
