// Caches plaintext data keys so that a busy requester costs one KMS call per key lifetime instead
// of one per request. A cached key is bound to its encryption context (the recipient), so reuse
// across requests of the same recipient keeps the same guarantees; random 96-bit nonces keep
// AES-GCM safe far beyond `maxUses`. Keys are zeroed when they leave the cache.
import { SingleFlightCache } from "./single-flight-cache.js";

export interface CachedDataKey {
  readonly plaintext: Uint8Array;
  readonly encrypted: Uint8Array;
  readonly keyId: string;
}

interface Entry {
  readonly key: CachedDataKey;
  uses: number;
  /** Plaintext bytes reserved (and, beyond a reservation, sealed) under this key. */
  bytes: number;
}

/** A private copy of a cached data key, and how to account what it really sealed. */
export interface TakenDataKey extends CachedDataKey {
  /** Counts bytes sealed beyond what take() reserved (a larger plaintext than expected). */
  readonly charge?: (bytes: number) => void;
}

export interface DataKeyCacheOptions {
  /** How long a data key is reused. 0 disables the cache. */
  readonly maxAgeMs: number;
  /** How many encryptions a data key may serve. */
  readonly maxUses: number;
  /** How many plaintext bytes a data key may seal, as the AWS Encryption SDK's cache bounds them (default: no bound). */
  readonly maxBytes?: number;
  /** Bound on distinct recipients held at once. */
  readonly maxEntries: number;
  readonly now?: () => number;
}

export const DEFAULT_DATA_KEY_CACHE: DataKeyCacheOptions = { maxAgeMs: 5 * 60_000, maxUses: 10_000, maxBytes: 64 * 2 ** 20, maxEntries: 10_000 };

/**
 * Zeroes a key that left a cache, one turn of the event loop later: a caller that was handed the
 * key copies it synchronously when its await resumes, and every such resumption runs (as a
 * microtask) before the next turn, so no caller ever copies a zeroed key.
 */
export function zeroLater(key: Uint8Array): void {
  setImmediate(() => key.fill(0));
}

export class DataKeyCache {
  private readonly entries: SingleFlightCache<Entry>;

  constructor(private readonly options: DataKeyCacheOptions = DEFAULT_DATA_KEY_CACHE) {
    this.entries = new SingleFlightCache<Entry>({
      maxEntries: options.maxEntries,
      ...(options.now ? { now: options.now } : {}),
      onEvict: (entry) => zeroLater(entry.key.plaintext),
    });
  }

  get enabled(): boolean {
    return this.options.maxAgeMs > 0 && this.options.maxUses > 0;
  }

  /**
   * A private copy of the data key for `cacheKey`, counting one use and reserving `bytes` of
   * plaintext: the cached key while it is younger than maxAgeMs, has served fewer than maxUses
   * and has room for `bytes` under maxBytes, else one `generate` call shared by every caller that
   * arrives while it runs.
   */
  async take(cacheKey: string, generate: () => Promise<CachedDataKey>, signal?: AbortSignal, bytes = 0): Promise<TakenDataKey> {
    const maxBytes = this.options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    const { value } = await this.entries.obtain(cacheKey, async () => ({ key: await generate(), uses: 0, bytes: 0 }), {
      usable: (entry) => entry.uses < this.options.maxUses && entry.bytes + bytes <= maxBytes,
      ttlMs: () => this.options.maxAgeMs,
      ...(signal ? { signal } : {}),
    });
    // Counted and copied in the same synchronous step as the lookup (see zeroLater).
    value.uses += 1;
    value.bytes += bytes;
    return { ...value.key, plaintext: Uint8Array.from(value.key.plaintext), charge: (extra) => (value.bytes += extra) };
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
