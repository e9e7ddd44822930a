// The fleet's peer key (CREDVEND_PEER_KEY_FILE), read once at start-up: a missing, unreadable or
// too short file stops the worker with what to fix, before any connection is made.
import { WorkerStartError } from "../run.js";
import { readKeyFile } from "./key-file.js";
import { PeerAuth, PeerAuthError, peerKeyFromSecret } from "./peer-auth.js";

export function loadPeerAuth(file: string): PeerAuth {
  const secret = readKeyFile("CREDVEND_PEER_KEY_FILE", file);
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
