// Caches plaintext data keys so that a busy requester costs one KMS call per key lifetime instead
// of one per request. A cached key is bound to its encryption context (the recipient), so reuse
// across requests of the same recipient keeps the same guarantees; random 96-bit nonces keep
// AES-GCM safe far beyond `maxUses`. Keys are zeroed when they leave the cache.
//
// Across a fleet, one worker generates each recipient's key and lends the others a share of what
// the key may still do (a lease: half its remaining uses and bytes, its remaining age). A lease is
// only ever cut from what its lender had left, so however many workers seal with one key, together
// they stay within maxAgeMs, maxUses and maxBytes: the AWS Encryption SDK's limits hold per key,
// not per worker.
import { untilAborted } from "./shared-call.js";
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
  /** This holder's share of the key's uses and bytes (all of them for the worker that generated it). */
  maxUses: number;
  maxBytes: number;
  /** When the key stops sealing (maxAgeMs after its generation began), on this worker's clock. */
  readonly expiresAtMs: number;
}

/** A private copy of a cached data key, and how to account what it really sealed. */
export interface TakenDataKey extends CachedDataKey {
  /** Counts bytes sealed beyond what take() reserved (a larger plaintext than expected). */
  readonly charge?: (bytes: number) => void;
}

/** A share of a data key another holder may seal with: never more than its lender had left. */
export interface DataKeyLease {
  /** A private copy: the receiver owns (and zeroes) it. */
  readonly key: CachedDataKey;
  readonly maxUses: number;
  readonly maxBytes: number;
  /** How long the key may still seal, counted from when the lender answered. */
  readonly ttlMs: number;
}

/** Where a recipient's key may come from before this cache generates one (the fleet: FleetDataKeys). */
export interface DataKeySource {
  /** A lease from the holder that owns `cacheKey`'s key, or undefined: this cache generates it (and owns it). */
  fromOwner(cacheKey: string, tenant: string): Promise<DataKeyLease | undefined>;
  /** This cache generated `cacheKey`'s key: it owns it for `lifetimeMs`. */
  generated(cacheKey: string, tenant: string, lifetimeMs: number): void;
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

export interface TakeOptions {
  readonly signal?: AbortSignal;
  /** Plaintext bytes to reserve under the key for this use. */
  readonly bytes?: number;
  /** The recipient's tenant: where a fleet keeps the key's owner. Without it the key is never shared. */
  readonly tenant?: string;
}

export const DEFAULT_DATA_KEY_CACHE: DataKeyCacheOptions = { maxAgeMs: 5 * 60_000, maxUses: 10_000, maxBytes: 64 * 2 ** 20, maxEntries: 10_000 };

/** Most messages one data key may seal: AWS_CRYPTOSDK_CACHE_MAX_LIMIT_MESSAGES, 2^32. */
export const MAX_USES_PER_KEY = 2 ** 32;

/** Lookups before a caller that keeps meeting keys used up by others generates one for itself alone. */
const TAKE_ATTEMPTS = 3;

/**
 * Zeroes a key that left a cache, one turn of the event loop later: a caller that was handed the
 * key copies it synchronously when its await resumes, and every such resumption runs (as a
 * microtask) before the next turn, so no caller ever copies a zeroed key.
 */
export function zeroLater(key: Uint8Array): void {
  setImmediate(() => key.fill(0));
}

/**
 * A key generated for one caller alone, waited for only until that caller's signal: `generate`
 * carries a timeout of its own (it may be the KMS call a load shares), not the caller's deadline.
 * A key that arrives after the caller gave up has no one to zero it but this.
 */
function generateOwn(generate: () => Promise<CachedDataKey>, signal: AbortSignal | undefined): Promise<CachedDataKey> {
  const call = generate();
  if (signal) {
    void call.then((key) => {
      if (signal.aborted) key.plaintext.fill(0);
    }, () => undefined);
  }
  return untilAborted(call, signal);
}

const copyOf = (key: CachedDataKey): CachedDataKey => ({ ...key, plaintext: Uint8Array.from(key.plaintext) });

export class DataKeyCache {
  private readonly entries: SingleFlightCache<Entry>;
  private readonly now: () => number;
  private readonly maxBytes: number;
  private source: DataKeySource | undefined;

  constructor(private readonly options: DataKeyCacheOptions = DEFAULT_DATA_KEY_CACHE) {
    // Random 96-bit GCM nonces stay safe only up to 2^32 messages per key (NIST SP 800-38D 8.3);
    // the AWS Encryption SDK's caching CMM refuses a larger message limit for the same reason.
    if (!(Number.isInteger(options.maxUses) && options.maxUses >= 0 && options.maxUses <= MAX_USES_PER_KEY)) {
      throw new RangeError(`maxUses must be an integer from 0 to 2^32 (random GCM nonces under one key), got ${options.maxUses}`);
    }
    this.now = options.now ?? Date.now;
    this.maxBytes = options.maxBytes ?? Number.MAX_SAFE_INTEGER;
    this.entries = new SingleFlightCache<Entry>({
      maxEntries: options.maxEntries,
      ...(options.now ? { now: options.now } : {}),
      onEvict: (entry) => zeroLater(entry.key.plaintext),
    });
  }

  get enabled(): boolean {
    return this.options.maxAgeMs > 0 && this.options.maxUses > 0;
  }

  /** Keys missing here are asked of their owner in the fleet before one is generated. */
  shareWith(source: DataKeySource): void {
    this.source = source;
  }

  /**
   * A private copy of the data key for `cacheKey`, counting one use and reserving `bytes` of
   * plaintext: the cached key while it is younger than maxAgeMs and its share of uses and bytes
   * has room, else a lease from the fleet's owner of the key, else one `generate` call; a lease
   * or a generation is shared by every caller that arrives while it runs.
   */
  async take(cacheKey: string, generate: () => Promise<CachedDataKey>, options: TakeOptions = {}): Promise<TakenDataKey> {
    const bytes = options.bytes ?? 0;
    const usable = (entry: Entry) => entry.uses < entry.maxUses && entry.bytes + bytes <= entry.maxBytes && entry.expiresAtMs > this.now();
    if (bytes > this.maxBytes) return generateOwn(generate, options.signal);
    for (let attempt = 1; attempt <= TAKE_ATTEMPTS; attempt += 1) {
      const { value } = await this.entries.obtain(cacheKey, () => this.load(cacheKey, generate, bytes, options.tenant), {
        usable,
        ttlMs: (entry) => entry.expiresAtMs - this.now(),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      // Callers that joined one load, or a lease lent meanwhile, can use a key up: checked again,
      // and counted and copied in the same synchronous step as the check (see zeroLater).
      if (!usable(value)) continue;
      value.uses += 1;
      value.bytes += bytes;
      return { ...copyOf(value.key), charge: (extra) => (value.bytes += extra) };
    }
    return generateOwn(generate, options.signal);
  }

  /**
   * For another holder that asks for `cacheKey`'s key: half of what the cached key (or the one a
   * load in flight here returns) may still do, taken from this holder's own share. Undefined when
   * there is no key, or too little left to lend `minBytes`.
   */
  async lend(cacheKey: string, minBytes: number): Promise<DataKeyLease | undefined> {
    const entry = this.entries.peek(cacheKey) ?? (await this.entries.loading(cacheKey)?.catch(() => undefined));
    if (entry === undefined) return undefined;
    const ttlMs = entry.expiresAtMs - this.now();
    const maxUses = Math.floor((entry.maxUses - entry.uses) / 2);
    const maxBytes = Math.floor((entry.maxBytes - entry.bytes) / 2);
    if (ttlMs <= 0 || maxUses < 1 || maxBytes < minBytes) return undefined;
    entry.maxUses -= maxUses;
    entry.maxBytes -= maxBytes;
    return { key: copyOf(entry.key), maxUses, maxBytes, ttlMs };
  }

  private async load(cacheKey: string, generate: () => Promise<CachedDataKey>, bytes: number, tenant: string | undefined): Promise<Entry> {
    const startedAt = this.now();
    const source = tenant === undefined ? undefined : this.source;
    const lease = await source?.fromOwner(cacheKey, tenant ?? "");
    if (lease !== undefined) {
      // Counted from before the ask: the lender's clock started later, so this ends no later.
      const expiresAtMs = startedAt + Math.min(lease.ttlMs, this.options.maxAgeMs);
      // A lease that cannot serve this caller (too small, or over by the time it came) is dropped;
      // the key is generated here instead.
      if (lease.maxUses >= 1 && lease.maxBytes >= bytes && expiresAtMs > this.now()) {
        return {
          key: lease.key, uses: 0, bytes: 0,
          maxUses: Math.min(lease.maxUses, this.options.maxUses), maxBytes: Math.min(lease.maxBytes, this.maxBytes),
          expiresAtMs,
        };
      }
      lease.key.plaintext.fill(0);
    }
    const key = await generate();
    source?.generated(cacheKey, tenant ?? "", this.options.maxAgeMs - (this.now() - startedAt));
    return { key, uses: 0, bytes: 0, maxUses: this.options.maxUses, maxBytes: this.maxBytes, expiresAtMs: startedAt + this.options.maxAgeMs };
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
