// Reuse of still-fresh credentials, for templates that allow it (`reuse:`), and single-flight of
// identical STS calls in flight. Keys come from the plan (same key ⇔ same STS call but for the
// per-request session name and request-id tag, for the same principal). Kept in workers' memory
// only: plaintext credentials are never written to Redis or anywhere else. Across the fleet, one
// worker owns each session and the others get a sealed copy from it (fleet-reuse.ts). The cache is
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

export interface ReusableSession extends SessionScope {
  readonly issued: IssuedCredentials;
  /** When the STS call that issued it started: no later than STS's own issue time. */
  readonly issuedAtMs: number;
}

/** Where a session this worker does not hold may come from before it calls STS itself. */
export interface SessionSource {
  /** A copy from the worker that owns `key`, or undefined: this worker issues it (and owns it). */
  fromOwner(key: string, scope: SessionScope, minRemainingMs: number): Promise<ReusableSession | undefined>;
  /** This worker issued `key`'s session: it owns it while the session can be handed out. */
  issued(key: string, session: ReusableSession, minRemainingMs: number): void;
}

type Entry = ReusableSession;

/** Loads through the cache before a revoked result (a call in flight at the notice) gives way to a call of its own. */
const CACHE_ATTEMPTS = 2;

export class CredentialReuse {
  private readonly cache: SingleFlightCache<Entry>;
  private readonly revocations: Revocations;
  private source: SessionSource | undefined;
  /** Sessions another worker issued: reused even by the request whose load fetched them. */
  private readonly copies = new WeakSet<Entry>();

  constructor(private readonly options: ReuseOptions) {
    // Shared fairly by tenant: a tenant whose template takes free-form parameters could otherwise
    // flush every other tenant's reusable sessions, each then costing its owner an STS call.
    this.cache = new SingleFlightCache<Entry>({ maxEntries: options.maxEntries, now: options.now, fairShareOf: (entry) => entry.tenant });
    this.revocations = new Revocations({ maxEntries: options.maxEntries, now: options.now });
  }

  /**
   * Credentials for `key` with at least `minRemainingMs` left: cached ones, the result of an
   * identical call already in flight, or a new call (`issue`); never a revoked session.
   */
  async obtain(key: string, scope: SessionScope, minRemainingMs: number, issue: () => Promise<IssuedCredentials>): Promise<{ issued: IssuedCredentials; reused: boolean }> {
    const load = async (): Promise<Entry> => {
      // Without a fleet the STS call starts at once (issuedAtMs is when it started).
      const copy = this.source ? await this.source.fromOwner(key, scope, minRemainingMs) : undefined;
      if (copy && this.#fits(copy, scope, minRemainingMs)) {
        this.copies.add(copy);
        return copy;
      }
      const issuedAtMs = this.options.now();
      const entry = { ...scope, issued: await issue(), issuedAtMs };
      this.source?.issued(key, entry, minRemainingMs);
      return entry;
    };
    for (let attempt = 1; attempt <= CACHE_ATTEMPTS; attempt += 1) {
      const { value, source } = await this.cache.obtain(key, load, {
        usable: (entry) => this.#usable(entry, minRemainingMs),
        // Kept no longer than the credentials live.
        ttlMs: (entry) => entry.issued.expirationMs - this.options.now(),
      });
      if (!this.revocations.covers(value)) return { issued: value.issued, reused: source !== "loaded" || this.copies.has(value) };
      this.cache.delete(key);
    }
    return { issued: await issue(), reused: false };
  }

  /** Sessions missing here are asked of their owner in the fleet first. */
  shareWith(source: SessionSource): void {
    this.source = source;
  }

  /**
   * For the worker that asks this one for `key`'s session: the cached one, or the one an STS call
   * in flight here returns, when it has `minRemainingMs` left and is not revoked; else undefined.
   */
  async share(key: string, minRemainingMs: number): Promise<ReusableSession | undefined> {
    // Only a revoked session is dropped (an expired one leaves on its own): one too short for the
    // asker's minRemainingMs may still serve this worker's requests, and dropping it would cost an STS call.
    const cached = this.cache.peek(key, (entry) => !this.revocations.covers(entry));
    if (cached && this.#usable(cached, minRemainingMs)) return cached;
    const entry = await this.cache.loading(key)?.catch(() => undefined);
    return entry && this.#usable(entry, minRemainingMs) ? entry : undefined;
  }

  /** Enough lifetime left, and not revoked. */
  #usable(entry: Entry, minRemainingMs: number): boolean {
    return entry.issued.expirationMs - this.options.now() >= minRemainingMs && !this.revocations.covers(entry);
  }

  /** A copy is used only for the scope asked, with the lifetime asked, and never when revoked here. */
  #fits(copy: Entry, scope: SessionScope, minRemainingMs: number): boolean {
    return copy.template === scope.template && copy.tenant === scope.tenant && copy.principal === scope.principal && this.#usable(copy, minRemainingMs);
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
