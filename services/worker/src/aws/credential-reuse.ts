// Reuse of still-fresh credentials, for templates that allow it (`reuse:`), and single-flight of
// identical STS calls in flight. Keys come from the plan (same key ⇔ same STS call but for the
// per-request session name and request-id tag, for the same principal). Kept in this worker's
// memory only: plaintext credentials are never written to Redis or anywhere else.
import type { IssuedCredentials } from "../pipeline/types.js";

export interface ReuseOptions {
  readonly maxEntries: number;
  readonly now: () => number;
}

interface Entry {
  readonly issued: IssuedCredentials;
}

export class CredentialReuse {
  private readonly fresh = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<IssuedCredentials>>();

  constructor(private readonly options: ReuseOptions) {}

  /**
   * Credentials for `key` with at least `minRemainingMs` left: cached ones, the result of an
   * identical call already in flight, or a new call (`issue`).
   */
  async obtain(key: string, minRemainingMs: number, issue: () => Promise<IssuedCredentials>): Promise<{ issued: IssuedCredentials; reused: boolean }> {
    const cached = this.fresh.get(key);
    if (cached && cached.issued.expirationMs - this.options.now() >= minRemainingMs) return { issued: cached.issued, reused: true };
    if (cached) this.fresh.delete(key);
    const pending = this.inflight.get(key);
    if (pending) return { issued: await pending, reused: true };
    const call = issue();
    this.inflight.set(key, call);
    try {
      const issued = await call;
      this.remember(key, issued);
      return { issued, reused: false };
    } finally {
      this.inflight.delete(key);
    }
  }

  get size(): number {
    return this.fresh.size;
  }

  private remember(key: string, issued: IssuedCredentials): void {
    if (this.fresh.size >= this.options.maxEntries) this.sweep();
    while (this.fresh.size >= this.options.maxEntries) {
      const oldest = this.fresh.keys().next();
      if (oldest.done) break;
      this.fresh.delete(oldest.value);
    }
    this.fresh.set(key, { issued });
  }

  private sweep(): void {
    const now = this.options.now();
    for (const [key, entry] of this.fresh) if (entry.issued.expirationMs <= now) this.fresh.delete(key);
  }
}
