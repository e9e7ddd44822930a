// A data key lease between workers (data-key-cache.ts), sealed to the asking worker's one-time
// X25519 key like a session copy (peer-seal.ts), with its own additional data so a lease opens only
// as the lease of the one recipient's key it was asked for. Binary, so every buffer that held the
// plaintext key can be zeroed: [u32 maxUses][f64 maxBytes][f64 ttlMs][u8 n][key n][u16 m][blob m][key id].
import type { DataKeyLease } from "./data-key-cache.js";
import { openFromPeer, peerSealer, type PeerKeyPair, type PeerSealed, type PeerSealer } from "./peer-seal.js";

const context = (cacheKey: string) => `credvend.v1.data-key-lease\u0000${cacheKey}`;

/** The sealer for a lease of `cacheKey`'s key to the asker's public key (throws when that key is unusable). */
export function leaseSealerFor(peerPublicKey: Uint8Array, cacheKey: string): PeerSealer {
  return peerSealer(peerPublicKey, context(cacheKey));
}

export function sealLeaseToPeer(peerPublicKey: Uint8Array, lease: DataKeyLease, cacheKey: string): PeerSealed {
  return sealLease(leaseSealerFor(peerPublicKey, cacheKey), lease);
}

/** Seals `lease` with `sealer` (leaseSealerFor); the caller still zeroes the lease's own key. */
export function sealLease(sealer: PeerSealer, lease: DataKeyLease): PeerSealed {
  const { plaintext, encrypted, keyId } = lease.key;
  if (plaintext.length > 0xff || encrypted.length > 0xffff) {
    sealer.discard();
    throw new RangeError("data key or its ciphertext is too long to lend");
  }
  const id = Buffer.from(keyId, "utf8");
  const out = Buffer.alloc(4 + 8 + 8 + 1 + plaintext.length + 2 + encrypted.length + id.length);
  try {
    let at = out.writeUInt32BE(lease.maxUses, 0);
    at = out.writeDoubleBE(lease.maxBytes, at);
    at = out.writeDoubleBE(lease.ttlMs, at);
    at = out.writeUInt8(plaintext.length, at);
    out.set(plaintext, at);
    at += plaintext.length;
    at = out.writeUInt16BE(encrypted.length, at);
    out.set(encrypted, at);
    out.set(id, at + encrypted.length);
    return sealer.seal(out);
  } finally {
    out.fill(0);
  }
}

/** The lease, with a private copy of the key; throws when it was not sealed to `keyPair` for `cacheKey`, or is malformed. */
export function openLeaseFromPeer(sealed: PeerSealed, keyPair: PeerKeyPair, cacheKey: string): DataKeyLease {
  const opened = openFromPeer(sealed, keyPair, context(cacheKey));
  // A view, not Buffer.from(opened): a copy would be zeroed below while the opened plaintext was not.
  const bytes = Buffer.from(opened.buffer, opened.byteOffset, opened.byteLength);
  try {
    const bad = () => new RangeError("data key lease is malformed");
    if (bytes.length < 4 + 8 + 8 + 1) throw bad();
    const maxUses = bytes.readUInt32BE(0);
    const maxBytes = bytes.readDoubleBE(4);
    const ttlMs = bytes.readDoubleBE(12);
    const n = bytes.readUInt8(20);
    let at = 21;
    if (bytes.length < at + n + 2) throw bad();
    const plaintext = Uint8Array.from(bytes.subarray(at, at + n));
    at += n;
    const m = bytes.readUInt16BE(at);
    at += 2;
    if (bytes.length <= at + m || !Number.isFinite(maxBytes) || !Number.isFinite(ttlMs) || maxBytes < 0 || ttlMs < 0) {
      plaintext.fill(0);
      throw bad();
    }
    const encrypted = Uint8Array.from(bytes.subarray(at, at + m));
    const keyId = bytes.subarray(at + m).toString("utf8");
    return { key: { plaintext, encrypted, keyId }, maxUses, maxBytes, ttlMs };
  } finally {
    bytes.fill(0);
  }
}
