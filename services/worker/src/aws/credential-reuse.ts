// Reuse of still-fresh credentials, for templates that allow it (`reuse:`), and single-flight of
// identical STS calls in flight. Keys come from the plan (same key ⇔ same STS call but for the
// per-request session name and request-id tag, for the same principal). Kept in this worker's
// memory only: plaintext credentials are never written to Redis or anywhere else. The cache is
// the one shared with the envelope's data keys (SingleFlightCache, on lru-cache).
import { SingleFlightCache } from "@credvend/envelope";
import type { IssuedCredentials } from "../pipeline/types.js";

export interface ReuseOptions {
  readonly maxEntries: number;
  readonly now: () => number;
}

export class CredentialReuse {
  private readonly cache: SingleFlightCache<IssuedCredentials>;

  constructor(private readonly options: ReuseOptions) {
    this.cache = new SingleFlightCache<IssuedCredentials>({ maxEntries: options.maxEntries, now: options.now });
  }

  /**
   * Credentials for `key` with at least `minRemainingMs` left: cached ones, the result of an
   * identical call already in flight, or a new call (`issue`).
   */
  async obtain(key: string, minRemainingMs: number, issue: () => Promise<IssuedCredentials>): Promise<{ issued: IssuedCredentials; reused: boolean }> {
    const { value, source } = await this.cache.obtain(key, issue, {
      usable: (issued) => issued.expirationMs - this.options.now() >= minRemainingMs,
      // Kept no longer than the credentials live.
      ttlMs: (issued) => issued.expirationMs - this.options.now(),
    });
    return { issued: value, reused: source !== "loaded" };
  }

  get size(): number {
    return this.cache.size;
  }
}
