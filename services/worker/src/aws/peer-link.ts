// Workers asking each other for what one of them owns (fleet-reuse.ts: reusable sessions,
// fleet-data-keys.ts: data key leases): one subscription per worker on credvend.v1.peer.<its id>,
// the owner named in Redis (ReuseOwners: only worker ids are stored), answers sealed to the asker's
// one-time X25519 key. Everything degrades to per-worker work: no Redis, an owner that is gone or
// slow, or NATS permissions without the peer subjects cost at most the asker's own AWS call.
import { generatePeerKeyPair, type PeerKeyPair, type PeerSealed } from "@credvend/envelope";
import type { ReuseOwners } from "@credvend/guard";
import { PEER_PREFIX, peerSubject } from "@credvend/protocol";
import type { NatsConnection, Subscription } from "nats";
import type { Logger } from "pino";
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
}

/** Answers one kind of ask: the sealed thing asked for, or undefined when this worker has none. */
export type PeerAnswerer<A extends PeerAsk> = (ask: A) => Promise<PeerSealed | undefined>;

export class PeerLink {
  private enabled = true;
  private readonly asking = new Set<AbortController>();
  private readonly answerers = new Map<PeerAskKind, (ask: PeerAsk) => Promise<PeerSealed | undefined>>();
  private subscription: Subscription | undefined;

  constructor(private readonly deps: PeerLinkDeps) {}

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
    const keys = generatePeerKeyPair();
    const abort = new AbortController();
    this.asking.add(abort);
    try {
      const msg = await Promise.race([
        this.deps.nc.request(peerSubject(owner), encodePeerAsk(build(keys.publicKey)), { timeout: timeoutMs }),
        new Promise<never>((_, reject) => abort.signal.addEventListener("abort", () => reject(abort.signal.reason as Error), { once: true })),
      ]);
      const sealed = decodePeerAnswer(msg.data);
      return sealed && open(sealed, keys);
    } finally {
      this.asking.delete(abort);
    }
  }

  /** Answers other workers' asks with the answerers registered. */
  serve(): void {
    const { nc, selfId, log } = this.deps;
    this.subscription = nc.subscribe(peerSubject(selfId()), {
      callback: (err, msg) => {
        if (err) {
          this.disable(`subscription failed: ${err.message}`);
          return;
        }
        void (async () => {
          const ask = decodePeerAsk(msg.data);
          const answerer = this.answerers.get(ask.kind);
          msg.respond(encodePeerAnswer(answerer ? await answerer(ask) : undefined));
        })().catch((error: unknown) => {
          log.warn({ err: describe(error) }, "peer ask refused");
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
