// Vended credentials held in memory by key, for the SDK provider: one entry per distinct
// credential (the key names everything that changes it), refreshed ahead of expiry at a jittered
// moment, one vend in flight per key however many callers ask, and never an expired credential.
import { CredvendError } from "@credvend/protocol";
import type { VendedCredentials } from "./verify-reply.js";

export interface CredentialCacheOptions {
  /** Refresh this long before expiry. Default 5 minutes (the AWS SDK's own window). */
  readonly refreshBeforeMs?: number;
  /** Up to this much earlier again, chosen at random per credential, so a fleet spreads its refreshes. Default 60 s. */
  readonly refreshJitterMs?: number;
  /** Distinct credentials kept; the oldest entry goes first. Default 1000. */
  readonly maxEntries?: number;
  /** Clock for expiry decisions (epoch ms). Default Date.now. */
  readonly now?: () => number;
  /** Random number in [0, 1) for the jitter. Default Math.random. */
  readonly random?: () => number;
}

export const DEFAULT_REFRESH_BEFORE_MS = 5 * 60_000;
export const DEFAULT_REFRESH_JITTER_MS = 60_000;
const DEFAULT_MAX_ENTRIES = 1000;
/**
 * A credential with less than this left counts as expired: a request signed with it now could
 * reach AWS after it lapsed.
 */
export const MIN_USABLE_MS = 10_000;
/** After a failed refresh, callers get the still-valid cached credential for this long before the next try. */
const RETRY_AFTER_FAILURE_MS = 5_000;

interface Entry {
  current?: { readonly credentials: VendedCredentials; readonly refreshAtMs: number };
  pending?: Promise<VendedCredentials>;
  /** No refresh before this, after a failure (while the cached credential is still usable). */
  quietUntilMs: number;
}

export class CredentialCache {
  private readonly entries = new Map<string, Entry>();
  private readonly refreshBeforeMs: number;
  private readonly refreshJitterMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(options: CredentialCacheOptions = {}) {
    this.refreshBeforeMs = nonNegative("refreshBeforeMs", options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS);
    this.refreshJitterMs = nonNegative("refreshJitterMs", options.refreshJitterMs ?? DEFAULT_REFRESH_JITTER_MS);
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /**
   * The credential for `key`: the cached one until its refresh moment, then a fresh one from
   * `vend` (shared by every concurrent caller). When a refresh fails, the cached credential is
   * returned while it is still usable; otherwise the refresh's error is thrown.
   */
  async get(key: string, vend: () => Promise<VendedCredentials>): Promise<VendedCredentials> {
    const entry = this.entry(key);
    const now = this.now();
    const current = entry.current;
    if (current && now < current.refreshAtMs && this.usable(current.credentials, now)) return current.credentials;
    if (current && now < entry.quietUntilMs && this.usable(current.credentials, now)) return current.credentials;
    entry.pending ??= this.refresh(entry, vend).finally(() => { entry.pending = undefined; });
    try {
      return await entry.pending;
    } catch (error) {
      const kept = entry.current?.credentials;
      if (kept && this.usable(kept, this.now())) return kept;
      throw error;
    }
  }

  /** Forgets every credential (e.g. after the caller learns they were revoked). */
  clear(): void {
    this.entries.clear();
  }

  private async refresh(entry: Entry, vend: () => Promise<VendedCredentials>): Promise<VendedCredentials> {
    try {
      const credentials = await vend();
      if (!this.usable(credentials, this.now())) {
        throw new CredvendError("CV_ERR_CLIENT_BAD_REPLY", `the vendor returned credentials that expire at ${credentials.expiration.toISOString()}, too soon to use (less than ${MIN_USABLE_MS / 1000} s left)`);
      }
      entry.current = { credentials, refreshAtMs: this.refreshAt(credentials) };
      entry.quietUntilMs = 0;
      return credentials;
    } catch (error) {
      entry.quietUntilMs = this.now() + RETRY_AFTER_FAILURE_MS;
      throw error;
    }
  }

  /**
   * `refreshBeforeMs` plus a random share of the jitter before expiry, but never earlier than
   * halfway through the credential's remaining life: a credential shorter than the margin would
   * otherwise be refreshed on every call.
   */
  private refreshAt(credentials: VendedCredentials): number {
    const now = this.now();
    const expiresAt = credentials.expiration.getTime();
    const planned = expiresAt - this.refreshBeforeMs - this.random() * this.refreshJitterMs;
    return Math.max(planned, now + (expiresAt - now) / 2);
  }

  private usable(credentials: VendedCredentials, now: number): boolean {
    return credentials.expiration.getTime() - now > MIN_USABLE_MS;
  }

  private entry(key: string): Entry {
    const found = this.entries.get(key);
    if (found) return found;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const created: Entry = { quietUntilMs: 0 };
    this.entries.set(key, created);
    return created;
  }
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number of milliseconds, got ${value}`);
  return value;
}
