// Fleet-wide single flight for `reuse:` templates. Without it every worker calls STS once for the
// same session (1,000 identical requests over two workers: two AssumeRole calls, and one more per
// worker added). Now the first worker to miss a session claims it in Redis and calls STS; another
// worker that misses it asks the owner (peer-link.ts) and gets a copy sealed to a fresh X25519 key
// of its own, which it caches like a session it issued (revocation notices and reconnects drop
// copies too).
import { answerSealed, openFromPeer, peerSealer } from "@credvend/envelope";
import type { ReuseOwners } from "@credvend/guard";
import type { CredentialReuse, ReusableSession, SessionSource } from "./credential-reuse.js";
import { decodeSession, encodeSession } from "./peer-codec.js";
import type { PeerLink } from "./peer-link.js";
import type { SessionScope } from "./revocations.js";

/** Ownership while the owner's STS call runs; then as long as the session may be handed out. */
const FLIGHT_HOLD_MS = 35_000;

export interface FleetReuseDeps {
  readonly link: PeerLink;
  /** Owners of reusable sessions (the default prefix). */
  readonly owners: ReuseOwners;
  readonly reuse: CredentialReuse;
  readonly now: () => number;
}

export class FleetReuse implements SessionSource {
  constructor(private readonly deps: FleetReuseDeps) {
    deps.link.answer("session", async (ask) => {
      // The asker's key first: nothing is looked up for an ask this owner cannot seal to.
      const sealer = peerSealer(ask.publicKey, ask.key);
      return answerSealed(sealer, () => deps.reuse.share(ask.key, ask.minRemainingMs), (session) => {
        // The encoded session holds its secret key and token: zeroed once sealed.
        const plaintext = encodeSession(session);
        try {
          return sealer.seal(plaintext);
        } finally {
          plaintext.fill(0);
        }
      });
    });
  }

  fromOwner(key: string, scope: SessionScope, minRemainingMs: number): Promise<ReusableSession | undefined> {
    const { link, owners } = this.deps;
    return link.fromOwner(owners, scope.tenant, key, FLIGHT_HOLD_MS, (owner) =>
      link.ask(owner, (publicKey) => ({ kind: "session", key, minRemainingMs, publicKey }), (sealed, keys) => decodeSession(openFromPeer(sealed, keys, key))));
  }

  issued(key: string, session: ReusableSession, minRemainingMs: number): void {
    this.deps.link.own(this.deps.owners, session.tenant, key, session.issued.expirationMs - minRemainingMs - this.deps.now());
  }
}
