// Fleet membership on the peer subjects. The vendor's NATS user is shared by every worker, so
// whoever holds its password could ask an owner for a session or a data key lease (sealed to a key
// of the asker's own choosing), or answer another worker's ask first with a session or data key of
// its own. Every ask and every answer therefore carries an HMAC-SHA256 under a key derived from a
// secret only the fleet holds (CREDVEND_PEER_KEY_FILE): an owner answers only signed, fresh asks it
// has not seen before and that name it as their addressee (each worker keeps its own replay window,
// so an ask recorded on its way to one worker must not open at another, nor at a restarted worker
// under a new id), and an asker opens only an answer signed for its own ask. The sealing inside
// (X25519 to the asker's one-time key) still keeps what travels unreadable to the fleet's own
// other members and to any reader of NATS.
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

/** The shortest secret accepted: 32 bytes (openssl rand -base64 32 writes 44 characters). */
export const PEER_SECRET_MIN_BYTES = 32;
/** An ask older (or newer) than this is refused: workers' clocks agree within a second. */
export const PEER_ASK_MAX_AGE_MS = 30_000;
/** Signed asks remembered to refuse replays within the age window (bounded). */
const MAX_REMEMBERED_ASKS = 10_000;
/** 3: asks name their addressee (2 did not: any worker answered them). */
const VERSION = 3;
const INFO = Buffer.from("credvend.v1.peer-auth");
const encoder = new TextEncoder();
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");

export class PeerAuthError extends Error {
  override readonly name = "PeerAuthError";
}

/** The HMAC key of a fleet secret (the file's bytes, surrounding whitespace removed). */
export function peerKeyFromSecret(secret: Uint8Array): Uint8Array {
  const trimmed = Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength).toString("latin1").trim();
  if (trimmed.length < PEER_SECRET_MIN_BYTES) {
    throw new PeerAuthError(`holds ${trimmed.length} bytes; it needs at least ${PEER_SECRET_MIN_BYTES} random bytes (make one with: openssl rand -base64 32), the same file on every worker`);
  }
  const ikm = Buffer.from(trimmed, "latin1");
  try {
    return new Uint8Array(hkdfSync("sha256", ikm, Buffer.alloc(0), INFO, 32));
  } finally {
    ikm.fill(0);
  }
}

export interface SignedAsk {
  readonly bytes: Uint8Array;
  /** What the answer to this ask must be signed together with. */
  readonly mac: Uint8Array;
}

export class PeerAuth {
  readonly #key: Uint8Array;
  readonly #now: () => number;
  /** MACs of asks answered, with when they may be forgotten (insertion order is age order). */
  readonly #seen = new Map<string, number>();

  constructor(key: Uint8Array, now: () => number = Date.now) {
    this.#key = Uint8Array.from(key);
    this.#now = now;
  }

  /** Asker: the ask for worker `to` as it goes on the wire, and the MAC its answer is bound to. */
  signAsk(payload: Uint8Array, to: string): SignedAsk {
    const at = this.#now();
    const mac = this.#mac("ask", at, encoder.encode(to), payload);
    return { bytes: encoder.encode(JSON.stringify({ v: VERSION, at, p: b64(payload), mac: b64(mac) })), mac };
  }

  /** Owner `self`: the ask's payload, once it is signed by the fleet for `self`, fresh, and not seen before. */
  openAsk(bytes: Uint8Array, self: string): { readonly payload: Uint8Array; readonly mac: Uint8Array } {
    const { at, payload, mac } = this.#read(bytes, "ask", encoder.encode(self));
    const now = this.#now();
    if (at === undefined || Math.abs(now - at) > PEER_ASK_MAX_AGE_MS) throw new PeerAuthError(`peer ask is ${at === undefined ? "undated" : `${Math.round((now - at) / 1000)} s old`}; asks older than ${PEER_ASK_MAX_AGE_MS / 1000} s are refused (are the workers' clocks in sync?)`);
    const id = b64(mac);
    this.#forgetBefore(now);
    if (this.#seen.has(id)) throw new PeerAuthError("peer ask replayed");
    this.#seen.set(id, now + 2 * PEER_ASK_MAX_AGE_MS);
    if (this.#seen.size > MAX_REMEMBERED_ASKS) this.#seen.delete(this.#seen.keys().next().value as string);
    return { payload, mac };
  }

  /** Owner: the answer to the ask whose MAC is `askMac`. */
  signAnswer(payload: Uint8Array, askMac: Uint8Array): Uint8Array {
    return encoder.encode(JSON.stringify({ v: VERSION, p: b64(payload), mac: b64(this.#mac("answer", undefined, askMac, payload)) }));
  }

  /** Asker: the answer's payload, once it is signed by the fleet for this very ask. */
  openAnswer(bytes: Uint8Array, askMac: Uint8Array): Uint8Array {
    return this.#read(bytes, "answer", askMac).payload;
  }

  #read(bytes: Uint8Array, purpose: "ask" | "answer", binding: Uint8Array): { at: number | undefined; payload: Uint8Array; mac: Uint8Array } {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(Buffer.from(bytes).toString("utf8")) as Record<string, unknown>;
    } catch {
      throw new PeerAuthError(`peer ${purpose} is not JSON`);
    }
    if (typeof o !== "object" || o === null || o.v !== VERSION || typeof o.p !== "string" || typeof o.mac !== "string") {
      throw new PeerAuthError(`peer ${purpose} is not signed with a fleet peer key (a worker without CREDVEND_PEER_KEY_FILE, an older version, or not a worker)`);
    }
    const at = typeof o.at === "number" && Number.isSafeInteger(o.at) ? o.at : undefined;
    const payload = new Uint8Array(Buffer.from(o.p, "base64url"));
    const mac = new Uint8Array(Buffer.from(o.mac, "base64url"));
    const expected = this.#mac(purpose, purpose === "ask" ? at : undefined, binding, payload);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
      throw new PeerAuthError(`peer ${purpose} is not signed with this fleet's peer key (CREDVEND_PEER_KEY_FILE differs between workers, the sender is not a worker, or ${purpose === "ask" ? "the ask was for another worker" : "the answer is to another ask"})`);
    }
    return { at, payload, mac };
  }

  #mac(purpose: string, at: number | undefined, binding: Uint8Array, payload: Uint8Array): Uint8Array {
    // One JSON array: every part is delimited, so no two messages sign the same bytes.
    const signed = JSON.stringify([`credvend.v1.peer.${purpose}`, at ?? null, b64(binding), b64(payload)]);
    return new Uint8Array(createHmac("sha256", this.#key).update(signed).digest());
  }

  #forgetBefore(now: number): void {
    for (const [id, until] of this.#seen) {
      if (until > now) break;
      this.#seen.delete(id);
    }
  }
}
