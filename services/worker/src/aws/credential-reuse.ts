// Reuse of still-fresh credentials, for templates that allow it (`reuse:`), and single-flight of
// identical STS calls in flight. Keys come from the plan (same key ⇔ same STS call but for the
// per-request session name and request-id tag, for the same principal). Kept in this worker's
// memory only: plaintext credentials are never written to Redis or anywhere else. The cache is
// the one shared with the envelope's data keys (SingleFlightCache, on lru-cache). Revoked
// sessions (`credvend revoke`) are never handed out again, cached or in flight.
import { SingleFlightCache } from "@credvend/envelope";
import type { RevocationNotice } from "@credvend/protocol";
import type { IssuedCredentials } from "../pipeline/types.js";
import { Revocations, type SessionScope } from "./revocations.js";

export interface ReuseOptions {
  readonly maxEntries: number;
  readonly now: () => number;
}

interface Entry extends SessionScope {
  readonly issued: IssuedCredentials;
  /** When the STS call that issued it started: no later than STS's own issue time. */
  readonly issuedAtMs: number;
}

/** Loads through the cache before a revoked result (a call in flight at the notice) gives way to a call of its own. */
const CACHE_ATTEMPTS = 2;

export class CredentialReuse {
  private readonly cache: SingleFlightCache<Entry>;
  private readonly revocations: Revocations;

  constructor(private readonly options: ReuseOptions) {
    this.cache = new SingleFlightCache<Entry>({ maxEntries: options.maxEntries, now: options.now });
    this.revocations = new Revocations({ maxEntries: options.maxEntries, now: options.now });
  }

  /**
   * Credentials for `key` with at least `minRemainingMs` left: cached ones, the result of an
   * identical call already in flight, or a new call (`issue`); never a revoked session.
   */
  async obtain(key: string, scope: SessionScope, minRemainingMs: number, issue: () => Promise<IssuedCredentials>): Promise<{ issued: IssuedCredentials; reused: boolean }> {
    const load = async (): Promise<Entry> => {
      const issuedAtMs = this.options.now();
      return { ...scope, issued: await issue(), issuedAtMs };
    };
    for (let attempt = 1; attempt <= CACHE_ATTEMPTS; attempt += 1) {
      const { value, source } = await this.cache.obtain(key, load, {
        usable: (entry) => entry.issued.expirationMs - this.options.now() >= minRemainingMs && !this.revocations.covers(entry),
        // Kept no longer than the credentials live.
        ttlMs: (entry) => entry.issued.expirationMs - this.options.now(),
      });
      if (!this.revocations.covers(value)) return { issued: value.issued, reused: source !== "loaded" };
      this.cache.delete(key);
    }
    return { issued: await issue(), reused: false };
  }

  /** Applies a revocation notice: matching cached sessions are dropped; returns how many. */
  revoke(notice: RevocationNotice): number {
    this.revocations.add(notice);
    return this.cache.deleteWhere((entry) => this.revocations.covers(entry));
  }

  /** Forgets everything issued until now: a revocation notice may have been missed (NATS reconnect). */
  forgetAll(): number {
    this.revocations.revokeAllBefore(this.options.now());
    const dropped = this.cache.size;
    this.cache.clear();
    return dropped;
  }

  get size(): number {
    return this.cache.size;
  }
}
