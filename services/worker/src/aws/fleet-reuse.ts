// Fleet-wide single flight for `reuse:` templates. Without it every worker calls STS once for the
// same session (1,000 identical requests over two workers: two AssumeRole calls, and one more per
// worker added). Now the first worker to miss a session claims it in Redis (ReuseOwners: only
// worker ids are stored) and calls STS; another worker that misses it asks the owner over NATS
// (credvend.v1.peer.<owner id>) and gets a copy sealed to a fresh X25519 key of its own, which it
// caches like a session it issued (revocation notices and reconnects drop copies too).
// Everything degrades to per-worker reuse: no Redis, an owner that is gone or slow, or NATS
// permissions without the peer subjects cost at most one STS call of this worker's own.
import { generatePeerKeyPair, openFromPeer, sealToPeer } from "@credvend/envelope";
import type { ReuseOwners } from "@credvend/guard";
import { PEER_PREFIX, peerSubject } from "@credvend/protocol";
import type { NatsConnection, Subscription } from "nats";
import type { Logger } from "pino";
import type { CredentialReuse, ReusableSession, SessionSource } from "./credential-reuse.js";
import type { SessionScope } from "./revocations.js";
import { decodePeerAnswer, decodePeerAsk, decodeSession, encodePeerAnswer, encodePeerAsk, encodeSession } from "./peer-codec.js";

/**
 * How long an asker waits for the owner. An owner answers at once from its cache, or when its own
 * STS call returns; past this the asker calls STS itself (one extra call, never a failed request).
 */
export const PEER_ASK_TIMEOUT_MS = 5_000;
/** Ownership while the owner's STS call runs; then as long as the session may be handed out. */
const FLIGHT_HOLD_MS = 35_000;

export interface FleetReuseDeps {
  readonly nc: NatsConnection;
  readonly owners: ReuseOwners;
  readonly reuse: CredentialReuse;
  /** This worker's id (its NATS service id), known once the service exists. */
  readonly selfId: () => string;
  readonly now: () => number;
  readonly log: Logger;
}

export class FleetReuse implements SessionSource {
  private enabled = true;
  private readonly asking = new Set<AbortController>();
  private subscription: Subscription | undefined;

  constructor(private readonly deps: FleetReuseDeps) {}

  async fromOwner(key: string, scope: SessionScope, minRemainingMs: number): Promise<ReusableSession | undefined> {
    if (!this.enabled) return undefined;
    const { owners, selfId, log } = this.deps;
    let owner: string | undefined;
    try {
      owner = await owners.claim(scope.tenant, key, selfId(), FLIGHT_HOLD_MS);
      if (owner === undefined) return undefined;
      const copy = await this.ask(owner, key, minRemainingMs);
      if (copy) return copy;
      // The owner is gone, or no longer has it: this worker takes over unless another did first.
      const next = await owners.claim(scope.tenant, key, selfId(), FLIGHT_HOLD_MS, owner);
      return next === undefined ? undefined : await this.ask(next, key, minRemainingMs);
    } catch (error) {
      // Redis or NATS trouble: this worker's own STS call serves (reuse only saves calls).
      log.debug({ err: error instanceof Error ? error.message : String(error), owner }, "fleet reuse unavailable; issuing here");
      return undefined;
    }
  }

  issued(key: string, session: ReusableSession, minRemainingMs: number): void {
    if (!this.enabled) return;
    const holdMs = session.issued.expirationMs - minRemainingMs - this.deps.now();
    if (holdMs <= 0) return;
    this.deps.owners.claim(session.tenant, key, this.deps.selfId(), holdMs).catch(() => undefined);
  }

  /** A copy of `key`'s session from `owner`, or undefined when it has none or does not answer. */
  private async ask(owner: string, key: string, minRemainingMs: number): Promise<ReusableSession | undefined> {
    if (owner === this.deps.selfId()) return undefined;
    const keys = generatePeerKeyPair();
    const abort = new AbortController();
    this.asking.add(abort);
    try {
      const msg = await Promise.race([
        this.deps.nc.request(peerSubject(owner), encodePeerAsk({ key, minRemainingMs, publicKey: keys.publicKey }), { timeout: PEER_ASK_TIMEOUT_MS }),
        new Promise<never>((_, reject) => abort.signal.addEventListener("abort", () => reject(abort.signal.reason as Error), { once: true })),
      ]);
      const answer = decodePeerAnswer(msg.data);
      return answer === undefined ? undefined : decodeSession(openFromPeer(answer, keys, key));
    } catch (error) {
      this.deps.log.debug({ err: error instanceof Error ? error.message : String(error), owner }, "owner of a reusable session did not hand it over");
      return undefined;
    } finally {
      this.asking.delete(abort);
    }
  }

  /** Answers other workers' asks for sessions this one owns. */
  serve(): void {
    const { nc, reuse, selfId, log } = this.deps;
    this.subscription = nc.subscribe(peerSubject(selfId()), {
      callback: (err, msg) => {
        if (err) {
          this.disable(`subscription failed: ${err.message}`);
          return;
        }
        void (async () => {
          const ask = decodePeerAsk(msg.data);
          const session = await reuse.share(ask.key, ask.minRemainingMs);
          msg.respond(encodePeerAnswer(session && sealToPeer(ask.publicKey, encodeSession(session), ask.key)));
        })().catch((error: unknown) => {
          log.warn({ err: error instanceof Error ? error.message : String(error) }, "peer ask for a reusable session refused");
          if (msg.reply) msg.respond(encodePeerAnswer(undefined));
        });
      },
    });
    // A NATS authorization made before the peer subjects existed denies them: say what to do once,
    // and reuse per worker from then on instead of waiting out every ask.
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
    this.deps.log.error({ why }, `fleet-wide reuse is off: ${why}; the vendor's NATS user needs publish and subscribe on ${PEER_PREFIX}.* (regenerate the authorization with \`credvend nats-config\`); until then each worker calls STS for reused sessions on its own`);
  }

  stop(): void {
    this.enabled = false;
    this.subscription?.unsubscribe();
  }
}
