// The fleet's peer key (CREDVEND_PEER_KEY_FILE), read once at start-up: a missing, unreadable or
// too short file stops the worker with what to fix, before any connection is made.
import { readFileSync } from "node:fs";
import { WorkerStartError } from "../run.js";
import { PeerAuth, PeerAuthError, peerKeyFromSecret } from "./peer-auth.js";

export function loadPeerAuth(file: string): PeerAuth {
  let secret: Buffer;
  try {
    secret = readFileSync(file);
  } catch (cause) {
    throw new WorkerStartError(`cannot read CREDVEND_PEER_KEY_FILE ${file}: ${(cause as Error).message}`, { cause });
  }
  let key: Uint8Array | undefined;
  try {
    key = peerKeyFromSecret(secret);
    return new PeerAuth(key);
  } catch (error) {
    if (error instanceof PeerAuthError) throw new WorkerStartError(`CREDVEND_PEER_KEY_FILE ${file} ${error.message}`, { cause: error });
    throw error;
  } finally {
    secret.fill(0);
    key?.fill(0);
  }
}
