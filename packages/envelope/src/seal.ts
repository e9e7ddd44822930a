// Vendor side: seal a reply's plaintext for one recipient under a KMS data key.
import { GenerateDataKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { aeadSeal } from "./aead.js";
import { additionalDataFor, encryptionContextFor, type Recipient } from "./context.js";
import { DataKeyCache } from "./data-key-cache.js";
import { SHARED_KMS_CALL_TIMEOUT_MS, untilAborted } from "./shared-call.js";

export interface SealedEnvelope {
  readonly encryptedDataKey: Uint8Array;
  readonly kmsKeyId: string;
  readonly encryptionContext: Record<string, string>;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
}

export interface SealerOptions {
  readonly kms: KMSClient;
  /** Key id, ARN or alias of the reply key. */
  readonly keyId: string;
  /** Reuse of data keys per recipient; omit for one data key per reply. */
  readonly cache?: DataKeyCache;
}

export class EnvelopeSealer {
  private readonly inflight = new Map<string, Promise<{ plaintext: Uint8Array; encrypted: Uint8Array; keyId: string }>>();

  constructor(private readonly options: SealerOptions) {}

  async seal(recipient: Recipient, requestId: string, plaintext: Uint8Array, signal?: AbortSignal): Promise<SealedEnvelope> {
    const encryptionContext = encryptionContextFor(recipient);
    // dataKeyFor always hands out a private copy of the key: the cache zeroes keys it evicts,
    // and another seal may evict this one while this call is suspended at an await.
    const dataKey = await this.dataKeyFor(recipient, encryptionContext, signal);
    try {
      const { nonce, ciphertext } = aeadSeal(dataKey.plaintext, plaintext, additionalDataFor(requestId));
      return { encryptedDataKey: dataKey.encrypted, kmsKeyId: dataKey.keyId, encryptionContext, nonce, ciphertext };
    } finally {
      dataKey.plaintext.fill(0);
    }
  }

  private async dataKeyFor(recipient: Recipient, context: Record<string, string>, signal?: AbortSignal) {
    const cache = this.options.cache;
    const cacheKey = `${this.options.keyId}\u0000${recipient.tenant}\u0000${recipient.principal}`;
    const cached = cache?.take(cacheKey);
    // Copied in the same synchronous step as the lookup, before any eviction can zero it.
    if (cached) return { ...cached, plaintext: Uint8Array.from(cached.plaintext) };
    // Single-flight: concurrent replies to one recipient share one GenerateDataKey call.
    let pending = cache?.enabled ? this.inflight.get(cacheKey) : undefined;
    if (!pending) {
      // A shared call gets its own timeout, not this caller's signal: otherwise this caller's
      // deadline would fail every concurrent reply to the same recipient.
      pending = this.generate(context, cache?.enabled ? AbortSignal.timeout(SHARED_KMS_CALL_TIMEOUT_MS) : signal);
      if (cache?.enabled) {
        this.inflight.set(cacheKey, pending);
        pending.then((key) => cache.put(cacheKey, { ...key, plaintext: Uint8Array.from(key.plaintext) }), () => undefined)
          .finally(() => this.inflight.delete(cacheKey));
      }
    }
    const key = await untilAborted(pending, signal);
    // Each caller gets its own copy, so eviction zeroing the cached copy never touches it.
    return { ...key, plaintext: Uint8Array.from(key.plaintext) };
  }

  private async generate(context: Record<string, string>, signal?: AbortSignal) {
    const out = await this.options.kms.send(
      new GenerateDataKeyCommand({ KeyId: this.options.keyId, KeySpec: "AES_256", EncryptionContext: context }),
      signal ? { abortSignal: signal } : undefined,
    );
    if (!out.Plaintext || !out.CiphertextBlob || !out.KeyId) {
      throw new Error("KMS GenerateDataKey returned no Plaintext, CiphertextBlob or KeyId");
    }
    return { plaintext: out.Plaintext, encrypted: out.CiphertextBlob, keyId: out.KeyId };
  }
}
