// Fleet-wide data keys: one GenerateDataKey per recipient per data key lifetime for the whole
// fleet, not per worker. The first worker to need a recipient's key claims it in Redis and
// generates it; another worker that needs it asks the owner (peer-link.ts) for a lease: the key
// sealed to a fresh X25519 key of the asker's, with half of what the key may still seal
// (DataKeyCache.lend), so the key's age, use and byte limits hold across the fleet together.
import { answerSealed, leaseSealerFor, openLeaseFromPeer, RESERVED_REPLY_BYTES, SHARED_KMS_CALL_TIMEOUT_MS, sealLease, type DataKeyCache, type DataKeyLease, type DataKeySource } from "@credvend/envelope";
import type { ReuseOwners } from "@credvend/guard";
import type { PeerLink } from "./peer-link.js";

/** Ownership while the owner's GenerateDataKey runs (it may take the shared call's whole timeout). */
const GENERATE_HOLD_MS = SHARED_KMS_CALL_TIMEOUT_MS + 5_000;
/**
 * An owner answers from its cache, or once its GenerateDataKey returns: a KMS call, not an STS
 * one. Past this the asker generates the key itself, which costs one KMS call and bounds what a
 * slow or stalled owner adds to the first reply of each recipient on this worker.
 */
export const DATA_KEY_ASK_TIMEOUT_MS = 1_000;

export interface FleetDataKeysDeps {
  readonly link: PeerLink;
  /** Owners of data keys (DATA_KEY_OWNER_PREFIX). */
  readonly owners: ReuseOwners;
  readonly cache: DataKeyCache;
}

export class FleetDataKeys implements DataKeySource {
  constructor(private readonly deps: FleetDataKeysDeps) {
    deps.link.answer("data-key", async (ask) => {
      // The asker's key first: an ask this owner cannot seal to is refused before half of what
      // the key may still do is lent out (and lost).
      const sealer = leaseSealerFor(ask.publicKey, ask.key);
      // What the asker will reserve for one reply: a lease smaller than that would be wasted.
      return answerSealed(sealer, () => deps.cache.lend(ask.key, RESERVED_REPLY_BYTES), (lease) => {
        try {
          return sealLease(sealer, lease);
        } finally {
          lease.key.plaintext.fill(0);
        }
      });
    });
  }

  fromOwner(cacheKey: string, tenant: string): Promise<DataKeyLease | undefined> {
    const { link, owners } = this.deps;
    return link.fromOwner(owners, tenant, cacheKey, GENERATE_HOLD_MS, (owner) =>
      link.ask(owner, (publicKey) => ({ kind: "data-key", key: cacheKey, publicKey }), (sealed, keys) => openLeaseFromPeer(sealed, keys, cacheKey), DATA_KEY_ASK_TIMEOUT_MS));
  }

  generated(cacheKey: string, tenant: string, lifetimeMs: number): void {
    this.deps.link.own(this.deps.owners, tenant, cacheKey, lifetimeMs);
  }
}
