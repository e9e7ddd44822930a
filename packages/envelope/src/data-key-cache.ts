// Caches plaintext data keys so that a busy requester costs one KMS call per key lifetime instead
// of one per request. A cached key is bound to its encryption context (the recipient), so reuse
// across requests of the same recipient keeps the same guarantees; random 96-bit nonces keep
// AES-GCM safe far beyond `maxUses`. Keys are zeroed when evicted.

export interface CachedDataKey {
  readonly plaintext: Uint8Array;
  readonly encrypted: Uint8Array;
  readonly keyId: string;
}

interface Entry {
  readonly key: CachedDataKey;
  readonly expiresAt: number;
  uses: number;
}

export interface DataKeyCacheOptions {
  /** How long a data key is reused. 0 disables the cache. */
  readonly maxAgeMs: number;
  /** How many encryptions a data key may serve. */
  readonly maxUses: number;
  /** Bound on distinct recipients held at once. */
  readonly maxEntries: number;
  readonly now?: () => number;
}

export const DEFAULT_DATA_KEY_CACHE: DataKeyCacheOptions = { maxAgeMs: 5 * 60_000, maxUses: 10_000, maxEntries: 10_000 };

export class DataKeyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly options: DataKeyCacheOptions = DEFAULT_DATA_KEY_CACHE) {
    this.now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.options.maxAgeMs > 0 && this.options.maxUses > 0;
  }

  /**
   * Returns a cached key for this cache key and counts one use, or undefined. The key is the
   * cache's own buffer, zeroed on eviction: copy it before any await.
   */
  take(cacheKey: string): CachedDataKey | undefined {
    const entry = this.entries.get(cacheKey);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now() || entry.uses >= this.options.maxUses) {
      this.evict(cacheKey, entry);
      return undefined;
    }
    entry.uses += 1;
    return entry.key;
  }

  put(cacheKey: string, key: CachedDataKey): void {
    if (!this.enabled) return;
    const old = this.entries.get(cacheKey);
    if (old) this.evict(cacheKey, old);
    while (this.entries.size >= this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.evict(oldest.value, this.entries.get(oldest.value));
    }
    this.entries.set(cacheKey, { key, expiresAt: this.now() + this.options.maxAgeMs, uses: 1 });
  }

  clear(): void {
    for (const [k, e] of this.entries) this.evict(k, e);
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(cacheKey: string, entry: Entry | undefined): void {
    this.entries.delete(cacheKey);
    entry?.key.plaintext.fill(0);
  }
}
