// Workers asking each other for what one of them owns (fleet-reuse.ts: reusable sessions,
// fleet-data-keys.ts: data key leases): one subscription per worker on credvend.v1.peer.<its id>,
// the owner named in Redis (ReuseOwners: only worker ids are stored), answers sealed to the asker's
// one-time X25519 key, every ask and answer signed with the fleet's peer key (peer-auth.ts).
// Everything degrades to per-worker work: no Redis, an owner that is gone or slow, no peer key, or
// NATS permissions without the peer subjects cost at most the asker's own AWS call.
import { generatePeerKeyPair, type PeerKeyPair, type PeerSealed } from "@credvend/envelope";
import type { ReuseOwners } from "@credvend/guard";
import { PEER_PREFIX, peerSubject } from "@credvend/protocol";
import type { NatsConnection, Subscription } from "nats";
import type { Logger } from "pino";
import type { PeerAuth } from "./peer-auth.js";
import { decodePeerAnswer, decodePeerAsk, encodePeerAnswer, encodePeerAsk, type PeerAsk, type PeerAskKind } from "./peer-codec.js";

/**
 * How long an asker waits for the owner. An owner answers at once from its cache, or when its own
 * AWS call returns; past this the asker calls AWS itself (one extra call, never a failed request).
 */
export const PEER_ASK_TIMEOUT_MS = 5_000;

export interface PeerLinkDeps {
  readonly nc: NatsConnection;
  /** This worker's id (its NATS service id), known once the service exists. */
  readonly selfId: () => string;
  readonly log: Logger;
  /** The fleet's peer key (CREDVEND_PEER_KEY_FILE); none: this worker neither asks nor answers. */
  readonly auth: PeerAuth | undefined;
}

/** Answers one kind of ask: the sealed thing asked for, or undefined when this worker has none. */
export type PeerAnswerer<A extends PeerAsk> = (ask: A) => Promise<PeerSealed | undefined>;

/** Refused asks are logged at most this often (an unsigned flood must not flood the log). */
const REFUSAL_LOG_EVERY_MS = 60_000;

export class PeerLink {
  private enabled: boolean;
  private refusedSinceLog = 0;
  private lastRefusalLogAt = -Infinity;
  private readonly asking = new Set<AbortController>();
  private readonly answerers = new Map<PeerAskKind, (ask: PeerAsk) => Promise<PeerSealed | undefined>>();
  private subscription: Subscription | undefined;

  constructor(private readonly deps: PeerLinkDeps) {
    this.enabled = deps.auth !== undefined;
  }

  /** Registers what this worker answers for `kind` (before serve()). */
  answer<K extends PeerAskKind>(kind: K, answerer: PeerAnswerer<Extract<PeerAsk, { kind: K }>>): void {
    this.answerers.set(kind, answerer as (ask: PeerAsk) => Promise<PeerSealed | undefined>);
  }

  /**
   * What the fleet's owner of `key` hands over (`fetch` asks one owner), or undefined: this worker
   * owns `key` now (for `holdMs`) and does the work itself. An owner that does not answer, or has
   * nothing, is displaced once.
   */
  async fromOwner<T>(owners: ReuseOwners, tenant: string, key: string, holdMs: number, fetch: (owner: string) => Promise<T | undefined>): Promise<T | undefined> {
    if (!this.enabled) return undefined;
    const self = this.deps.selfId();
    const fetchFrom = async (owner: string): Promise<T | undefined> => {
      if (owner === self) return undefined;
      try {
        return await fetch(owner);
      } catch (error) {
        this.deps.log.debug({ err: describe(error), owner }, "owner did not hand over what it owns");
        return undefined;
      }
    };
    let owner: string | undefined;
    try {
      owner = await owners.claim(tenant, key, self, holdMs);
      if (owner === undefined) return undefined;
      const got = await fetchFrom(owner);
      if (got !== undefined) return got;
      // The owner is gone, or no longer has it: this worker takes over unless another did first.
      const next = await owners.claim(tenant, key, self, holdMs, owner);
      return next === undefined ? undefined : await fetchFrom(next);
    } catch (error) {
      // Redis trouble: this worker's own AWS call serves (sharing only saves calls).
      this.deps.log.debug({ err: describe(error), owner }, "fleet sharing unavailable; working here");
      return undefined;
    }
  }

  /** This worker did the work for `key`: it owns it for `holdMs` (best effort). */
  own(owners: ReuseOwners, tenant: string, key: string, holdMs: number): void {
    if (!this.enabled || holdMs <= 0) return;
    owners.claim(tenant, key, this.deps.selfId(), holdMs).catch(() => undefined);
  }

  /**
   * What `owner` answers to the ask `build` makes with a one-time X25519 public key of this worker's,
   * opened with that key pair (`open`), or undefined when it has none. Throws when it does not
   * answer within `timeoutMs`, or its answer does not open.
   */
  async ask<T>(owner: string, build: (publicKey: Uint8Array) => PeerAsk, open: (sealed: PeerSealed, keys: PeerKeyPair) => T, timeoutMs = PEER_ASK_TIMEOUT_MS): Promise<T | undefined> {
    const { auth } = this.deps;
    if (auth === undefined) return undefined;
    const keys = generatePeerKeyPair();
    const abort = new AbortController();
    this.asking.add(abort);
    try {
      const signed = auth.signAsk(encodePeerAsk(build(keys.publicKey)), owner);
      const msg = await Promise.race([
        this.deps.nc.request(peerSubject(owner), signed.bytes, { timeout: timeoutMs }),
        new Promise<never>((_, reject) => abort.signal.addEventListener("abort", () => reject(abort.signal.reason as Error), { once: true })),
      ]);
      // Only an answer the fleet signed for this very ask is opened (a first answer from anyone
      // else holding the vendor's NATS user is not).
      const sealed = decodePeerAnswer(auth.openAnswer(msg.data, signed.mac));
      return sealed && open(sealed, keys);
    } finally {
      this.asking.delete(abort);
    }
  }

  /** Answers other workers' asks with the answerers registered. */
  serve(): void {
    const { nc, selfId, log, auth } = this.deps;
    if (auth === undefined) {
      log.warn("fleet-wide sharing of sessions and data keys is off: CREDVEND_PEER_KEY_FILE is not set; give every worker the same secret file (openssl rand -base64 32 > peer.key) to share them; until then each worker calls STS for reused sessions and KMS for data keys on its own");
      return;
    }
    const self = selfId();
    this.subscription = nc.subscribe(peerSubject(self), {
      callback: (err, msg) => {
        if (err) {
          this.disable(`subscription failed: ${err.message}`);
          return;
        }
        void (async () => {
          // Before anything else: only the fleet's signed, fresh, first-seen asks are answered.
          // Bound to this worker's id: an ask recorded on its way to another worker is refused here.
          const signed = auth.openAsk(msg.data, self);
          const ask = decodePeerAsk(signed.payload);
          const answerer = this.answerers.get(ask.kind);
          msg.respond(auth.signAnswer(encodePeerAnswer(answerer ? await answerer(ask) : undefined), signed.mac));
        })().catch((error: unknown) => {
          this.noteRefusal(error);
          // Unsigned "none": the asker works on its own at once instead of waiting out its timeout
          // (and gains nothing it could not get by asking no one).
          if (msg.reply) msg.respond(encodePeerAnswer(undefined));
        });
      },
    });
    // A NATS authorization made before the peer subjects existed denies them: say what to do once,
    // and work per worker from then on instead of waiting out every ask.
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type !== "error" || s.data !== "PERMISSIONS_VIOLATION") continue;
        const subject = (s as { permissionContext?: { subject?: string } }).permissionContext?.subject ?? "";
        if (subject.startsWith(`${PEER_PREFIX}.`)) this.disable(`NATS denies ${subject}`);
      }
    })().catch(() => undefined);
  }

  private noteRefusal(error: unknown): void {
    this.refusedSinceLog += 1;
    const now = Date.now();
    if (now - this.lastRefusalLogAt < REFUSAL_LOG_EVERY_MS) return;
    this.deps.log.warn({ err: describe(error), refused: this.refusedSinceLog }, "peer ask refused");
    this.refusedSinceLog = 0;
    this.lastRefusalLogAt = now;
  }

  private disable(why: string): void {
    if (!this.enabled) return;
    this.enabled = false;
    for (const abort of this.asking) abort.abort(new Error(why));
    this.deps.log.error({ why }, `fleet-wide sharing of sessions and data keys is off: ${why}; the vendor's NATS user needs publish and subscribe on ${PEER_PREFIX}.* (regenerate the authorization with \`credvend nats-config\`); until then each worker calls STS for reused sessions and KMS for data keys on its own`);
  }

  stop(): void {
    this.enabled = false;
    this.subscription?.unsubscribe();
  }
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
