// Where every requester command gets its credentials: the per-user cache of sealed replies when it
// holds one with more than the refresh margin left (no NATS connection at all: one KMS Decrypt),
// else one request over NATS, shared by all the processes that need the same credential at once
// (a lock file), whose sealed reply is then cached. Plaintext credentials live only in memory.
import type { KMSClient } from "@aws-sdk/client-kms";
import type { VendedCredentials } from "@credvend/client";
import type { EnvelopeOpener } from "@credvend/envelope";
import { markResolving, refuseIfNested, refuseSelfProfile } from "./recursion.js";
import { requesterKms } from "./aws-identity.js";
import { privateCacheDir } from "./cache/dir.js";
import { readEntry, removeEntry, writeEntry, type CacheEntry } from "./cache/entry.js";
import { acquireLock } from "./cache/lock.js";
import { cacheKey, cacheRequestId, isCacheRequestId, type KmsRequester, type Requester, type VendSpec } from "./spec.js";
import { vendWithReply } from "./vend.js";

/** A lock older than any request can take (3 attempts of the longest timeout, plus gaps). */
const LOCK_STALE_MS = 120_000;

export interface CredentialSourceOptions {
  /** The cache directory, or undefined for no cache. */
  readonly cacheDir: string | undefined;
}

export class CredentialSource {
  private kms: KMSClient | undefined;
  private opener: EnvelopeOpener | undefined;
  constructor(private readonly spec: VendSpec, private readonly who: Requester, private readonly options: CredentialSourceOptions) {}

  /** Credentials with more than the refresh margin left. */
  async get(): Promise<VendedCredentials> {
    // First of all: a nested credvend must not even wait for the lock its parent holds.
    refuseIfNested();
    // A sealed requester's reply opens only with the per-request private key, which is never
    // written anywhere: it is not cached (exec and serve keep credentials in memory and renew).
    const who = this.who;
    if (who.opens === "sealed") return (await vendWithReply(this.spec, who, undefined)).credentials;
    const dir = this.spec.cache && this.options.cacheDir ? privateCacheDir(this.options.cacheDir) : undefined;
    if (!dir) return (await vendWithReply(this.spec, who, await this.kmsClient(who))).credentials;
    const key = cacheKey(this.spec, who);
    const warm = await this.fromCache(dir, key, who);
    if (warm) return warm;
    const lock = await acquireLock(dir, key, { staleMs: LOCK_STALE_MS, waitMs: LOCK_STALE_MS, done: () => this.fresh(readEntry(dir, key)) !== undefined });
    try {
      // Another caller may have vended while this one waited (or just before it took the lock).
      const shared = await this.fromCache(dir, key, who);
      if (shared) return shared;
      const vended = await vendWithReply(this.spec, who, await this.kmsClient(who), cacheRequestId(key));
      if (vended.reply) writeEntry(dir, key, { requestId: vended.credentials.requestId, expirationMs: vended.credentials.expiration.getTime(), reply: vended.reply });
      return vended.credentials;
    } finally {
      lock?.release();
    }
  }

  close(): void {
    this.kms?.destroy();
  }

  private fresh(entry: CacheEntry | undefined): CacheEntry | undefined {
    return entry && entry.expirationMs - Date.now() > this.spec.refreshMarginMs ? entry : undefined;
  }

  private async fromCache(dir: string, key: string, who: KmsRequester): Promise<VendedCredentials | undefined> {
    const entry = this.fresh(readEntry(dir, key));
    if (!entry) return undefined;
    // An entry of another key (copied, swapped, restored) is another credential: a miss, not a hit.
    if (!isCacheRequestId(key, entry.requestId)) {
      removeEntry(dir, key);
      return undefined;
    }
    const { verifyReply } = await import("@credvend/client/reply");
    const verdict = await verifyReply(entry.reply, entry.requestId, await this.envelopeOpener(who), Date.now);
    if (verdict.kind === "credentials") return verdict.credentials;
    // KMS is out of reach: a new request could not be opened either.
    if (verdict.kind === "kms-unavailable") throw verdict.error;
    removeEntry(dir, key);
    return undefined;
  }

  private async envelopeOpener(who: KmsRequester): Promise<EnvelopeOpener> {
    if (!this.opener) {
      const { EnvelopeOpener: Opener } = await import("@credvend/envelope");
      this.opener = new Opener({ kms: await this.kmsClient(who), recipient: { tenant: who.tenant, principal: who.principal }, keyArn: who.replyKeyArn });
    }
    return this.opener;
  }

  private async kmsClient(who: KmsRequester): Promise<KMSClient> {
    if (!this.kms) {
      await refuseSelfProfile(who.aws.identity);
      markResolving();
      this.kms = await requesterKms(who.aws, who.replyKeyArn);
    }
    return this.kms;
  }
}
