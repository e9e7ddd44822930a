// The one bounded cache with single-flight loading that credvend needs in three places: the
// worker's reuse of fresh credentials, the sealer's data keys and the opener's decrypted data
// keys. Storage, LRU bound and expiry are lru-cache's; this adds what lru-cache's own `fetch` does
// differently: a load is shared by every caller that arrives while it runs and is never aborted by
// one caller's signal (callers stop waiting on their own, see untilAborted), a failed load is not
// cached, and a value can be refused per call (not enough lifetime left, too many uses).
import { FairShares } from "@credvend/protocol";
import { LRUCache } from "lru-cache";
import { untilAborted } from "./shared-call.js";

export interface SingleFlightCacheOptions<V> {
  /** Most values held at once; the least recently used goes first. */
  readonly maxEntries: number;
  /** Clock for expiry (ms); injected by tests. Default Date.now. */
  readonly now?: () => number;
  /**
   * Called once for every value that leaves the cache (expired, evicted, replaced, cleared), and
   * for every loaded value it does not keep (no lifetime left when its load returned): a value
   * that holds a secret is then released on one path, whichever way it goes.
   */
  readonly onEvict?: (value: V) => void;
  /**
   * Whose a value is (a tenant): when the cache is full, the value that leaves is the least
   * recently stored of whoever holds the most, not the least recently used of all. Alone, anyone
   * may fill the cache; but one who floods it with values of its own evicts its own first, not
   * the others' (each of which would cost its owner a new load: an STS call). Default: plain LRU.
   */
  readonly fairShareOf?: (value: V) => string;
}

export interface ObtainOptions<V> {
  /** A cached value that fails this is dropped and loaded again. Default: every value is usable. */
  readonly usable?: (value: V) => boolean;
  /** How long a loaded value is kept (ms); 0 or less keeps nothing. */
  readonly ttlMs: (value: V) => number;
  /** Stops this caller's wait; the shared load goes on for the others. */
  readonly signal?: AbortSignal;
}

/** Where a value came from: the cache, a load another caller started, or this caller's own load. */
export type Source = "cached" | "joined" | "loaded";

export class SingleFlightCache<V extends object> {
  private readonly values: LRUCache<string, V>;
  private readonly inflight = new Map<string, Promise<V>>();
  private readonly onEvict: ((value: V) => void) | undefined;
  private readonly maxEntries: number;
  private readonly fairShareOf: ((value: V) => string) | undefined;
  /** Each holder's keys, oldest stored first (only with fairShareOf): the one fair-share rule. */
  private readonly shares = new FairShares();

  constructor(options: SingleFlightCacheOptions<V>) {
    if (!(Number.isInteger(options.maxEntries) && options.maxEntries > 0)) {
      throw new RangeError(`maxEntries must be a positive integer, got ${options.maxEntries}`);
    }
    // lru-cache reads an entry stored at time 0 as "never expires"; shifting the clock by 1 ms
    // changes no difference between two readings and keeps an injected clock that starts at 0 exact.
    const now = options.now;
    const onEvict = options.onEvict;
    this.onEvict = onEvict;
    this.maxEntries = options.maxEntries;
    this.fairShareOf = options.fairShareOf;
    const shared = this.fairShareOf !== undefined;
    this.values = new LRUCache<string, V>({
      max: options.maxEntries,
      // Expiry is checked against the clock on every read (an injected clock has no 1 ms cache).
      ttlResolution: 0,
      ...(now ? { perf: { now: () => now() + 1 } } : {}),
      ...(onEvict || shared
        ? {
            dispose: (value: V, key: string) => {
              if (shared) this.shares.delete(key);
              onEvict?.(value);
            },
          }
        : {}),
    });
  }

  /** The cached value for `key` when it is fresh and `usable`; an unusable one is dropped. */
  peek(key: string, usable?: (value: V) => boolean): V | undefined {
    const value = this.values.get(key);
    if (value === undefined) return undefined;
    if (usable && !usable(value)) {
      this.values.delete(key);
      return undefined;
    }
    return value;
  }

  /** A fresh usable cached value, else the result of the load in flight for `key`, else `load()`'s. */
  async obtain(key: string, load: () => Promise<V>, options: ObtainOptions<V>): Promise<{ value: V; source: Source }> {
    const cached = this.peek(key, options.usable);
    if (cached !== undefined) return { value: cached, source: "cached" };
    const pending = this.inflight.get(key);
    if (pending) return { value: await untilAborted(pending, options.signal), source: "joined" };
    const call = this.startLoad(key, load, options.ttlMs);
    return { value: await untilAborted(call, options.signal), source: "loaded" };
  }

  /** The load in flight for `key`, if any (it is shared: do not abort it). */
  loading(key: string): Promise<V> | undefined {
    return this.inflight.get(key);
  }

  delete(key: string): void {
    this.values.delete(key);
  }

  /** Drops every cached value `predicate` holds for (loads in flight are not touched); returns how many. */
  deleteWhere(predicate: (value: V) => boolean): number {
    const keys: string[] = [];
    for (const [key, value] of this.values.entries()) if (predicate(value)) keys.push(key);
    for (const key of keys) this.values.delete(key);
    return keys.length;
  }

  clear(): void {
    this.values.clear();
  }

  get size(): number {
    return this.values.size;
  }

  private store(key: string, value: V, ttl: number): void {
    const holder = this.fairShareOf?.(value);
    if (holder !== undefined && !this.values.has(key) && this.values.size >= this.maxEntries) {
      // Makes room: the oldest stored value of whoever holds the most leaves (through dispose).
      const victim = this.shares.victim();
      if (victim !== undefined) this.values.delete(victim);
    }
    this.values.set(key, value, { ttl: Math.ceil(ttl) });
    // After set: replacing a key disposes its old value (shares.delete) first.
    if (holder !== undefined) this.shares.add(key, holder);
  }

  private startLoad(key: string, load: () => Promise<V>, ttlMs: (value: V) => number): Promise<V> {
    const call = load().then((value) => {
      const ttl = ttlMs(value);
      if (ttl > 0) this.store(key, value, ttl);
      else this.onEvict?.(value);
      return value;
    });
    this.inflight.set(key, call);
    // Failures reach the callers and are not cached: the next obtain loads again.
    void call.finally(() => {
      if (this.inflight.get(key) === call) this.inflight.delete(key);
    }).catch(() => undefined);
    return call;
  }
}
