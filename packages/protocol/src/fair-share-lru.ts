// The one eviction rule of credvend's bounded per-tenant caches (reused sessions and data keys in
// SingleFlightCache, the plan memo, the denied cache): when full, the value that leaves is the
// oldest of whoever holds the most, not the least recently used of all. Alone, a tenant may fill a
// cache; one that floods it with distinct requests evicts its own values first, never another
// tenant's (each of which would cost that tenant CPU, an STS call or a KMS call again). It lives
// here because protocol is the one package that policy, envelope and the worker all depend on.

/** Each holder's keys, oldest first; which key leaves when there is no room. */
export class FairShares {
  readonly #keysOf = new Map<string, Set<string>>();
  readonly #holderOf = new Map<string, string>();

  /** `key` is now `holder`'s newest (again, if it was held already). */
  add(key: string, holder: string): void {
    this.delete(key);
    let keys = this.#keysOf.get(holder);
    if (keys === undefined) {
      keys = new Set();
      this.#keysOf.set(holder, keys);
    }
    keys.add(key);
    this.#holderOf.set(key, holder);
  }

  /** A held key becomes its holder's newest (a read, for least-recently-used order within a share). */
  touch(key: string): void {
    const holder = this.#holderOf.get(key);
    if (holder !== undefined) this.add(key, holder);
  }

  delete(key: string): void {
    const holder = this.#holderOf.get(key);
    if (holder === undefined) return;
    this.#holderOf.delete(key);
    const keys = this.#keysOf.get(holder);
    keys?.delete(key);
    if (keys?.size === 0) this.#keysOf.delete(holder);
  }

  /** The key to evict: the oldest of the largest holder (ties: the holder seen first). */
  victim(): string | undefined {
    let largest: Set<string> | undefined;
    for (const keys of this.#keysOf.values()) if (largest === undefined || keys.size > largest.size) largest = keys;
    return largest?.values().next().value;
  }

  clear(): void {
    this.#keysOf.clear();
    this.#holderOf.clear();
  }

  get size(): number {
    return this.#holderOf.size;
  }
}

/** A bounded map that evicts by FairShares; reading a value makes it its holder's newest. */
export class FairShareLru<V> {
  readonly #values = new Map<string, V>();
  readonly #shares = new FairShares();

  constructor(private readonly maxEntries: number) {
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }

  get(key: string): V | undefined {
    this.#shares.touch(key);
    return this.#values.get(key);
  }

  set(key: string, holder: string, value: V): void {
    if (!this.#values.has(key) && this.#values.size >= this.maxEntries) {
      const victim = this.#shares.victim();
      if (victim !== undefined) this.delete(victim);
    }
    this.#values.set(key, value);
    this.#shares.add(key, holder);
  }

  delete(key: string): void {
    this.#values.delete(key);
    this.#shares.delete(key);
  }

  clear(): void {
    this.#values.clear();
    this.#shares.clear();
  }

  get size(): number {
    return this.#values.size;
  }
}
