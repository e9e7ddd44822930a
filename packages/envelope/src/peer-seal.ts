// Worker-to-worker copies of a reusable session: the asking worker sends a fresh X25519 public key,
// the owner seals the session to it (its own ephemeral key, HKDF-SHA256, AES-256-GCM) with the
// reuse key as additional data, so the copy opens only for that one request and only as the
// session it asked for. NATS carries nothing readable, whoever else can see the subject.
import { diffieHellman, hkdfSync, type KeyObject } from "node:crypto";
import { aeadOpen, aeadSeal, KEY_BYTES } from "./aead.js";
import { generateReplyKeyPair, parsePublicKey, type ReplyKeyPair } from "./x25519.js";

/** HKDF info: a key derived for a peer copy is never a key for anything else. */
const INFO = Buffer.from("credvend.v1.peer-session.x25519.1");

export interface PeerSealed {
  /** The owner's ephemeral public key (32 raw bytes). */
  readonly senderPublicKey: Uint8Array;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** The asking worker's key pair for one ask: a reply key pair; the private half stays in its memory. */
export type PeerKeyPair = ReplyKeyPair;
export const generatePeerKeyPair = generateReplyKeyPair;

/** One seal to one asker, its key agreed before anything is looked up for the asker. */
export interface PeerSealer {
  /** Seals `plaintext`, once; the derived key is zeroed after. */
  seal(plaintext: Uint8Array): PeerSealed;
  /** Zeroes the derived key when there is nothing to seal. */
  discard(): void;
}

/**
 * Owner side: agrees a key with the asker's public key for `context` (the reuse key), or throws
 * when that key is malformed or a low-order point. Made before the owner takes anything out for
 * the asker (half a data key's share, say), so a malformed ask costs nothing but this.
 */
export function peerSealer(peerPublicKey: Uint8Array, context: string): PeerSealer {
  const theirs = parsePublicKey(peerPublicKey);
  const mine = generatePeerKeyPair();
  const key = derive(mine.privateKey, theirs, mine.publicKey, peerPublicKey);
  let used = false;
  const discard = () => {
    used = true;
    key.fill(0);
  };
  return {
    seal(plaintext) {
      if (used) throw new Error("a peer sealer seals once");
      try {
        const { nonce, ciphertext } = aeadSeal(key, plaintext, Buffer.from(context));
        return { senderPublicKey: mine.publicKey, nonce, ciphertext };
      } finally {
        discard();
      }
    },
    discard,
  };
}

/**
 * Owner side, one answer: `lookUp` runs only once `sealer` (made from the asker's key) exists, and
 * the sealer's key is zeroed whatever it finds, finds nothing or throws.
 */
export async function answerSealed<T>(sealer: PeerSealer, lookUp: () => Promise<T | undefined>, seal: (found: T) => PeerSealed): Promise<PeerSealed | undefined> {
  try {
    const found = await lookUp();
    return found === undefined ? undefined : seal(found);
  } finally {
    sealer.discard();
  }
}

/** Owner side: seals `plaintext` to the asker's public key, bound to `context` (the reuse key). */
export function sealToPeer(peerPublicKey: Uint8Array, plaintext: Uint8Array, context: string): PeerSealed {
  return peerSealer(peerPublicKey, context).seal(plaintext);
}

/** Asker side: the plaintext, or an Error when the copy is not sealed to `keyPair` for `context`. */
export function openFromPeer(sealed: PeerSealed, keyPair: PeerKeyPair, context: string): Uint8Array {
  const key = derive(keyPair.privateKey, parsePublicKey(sealed.senderPublicKey), sealed.senderPublicKey, keyPair.publicKey);
  try {
    return aeadOpen(key, sealed.nonce, sealed.ciphertext, Buffer.from(context));
  } finally {
    key.fill(0);
  }
}

/** Salt: the sender's then the asker's public key, the same order on both sides. */
function derive(privateKey: KeyObject, publicKey: KeyObject, senderPublic: Uint8Array, askerPublic: Uint8Array): Uint8Array {
  const secret = diffieHellman({ privateKey, publicKey });
  try {
    // A low-order point gives a secret everyone knows.
    if (secret.every((b) => b === 0)) throw new RangeError("peer public key is a low-order X25519 point");
    return new Uint8Array(hkdfSync("sha256", secret, Buffer.concat([senderPublic, askerPublic]), INFO, KEY_BYTES));
  } finally {
    secret.fill(0);
  }
}
