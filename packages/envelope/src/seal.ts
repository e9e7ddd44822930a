// Vendor side: seal a reply's plaintext for one recipient under a KMS data key.
import { GenerateDataKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { aeadSeal } from "./aead.js";
import { bindingData, REPLY_BINDING_VERSION, type ClearFields, type IssuedClearFields } from "./binding.js";
import { encryptionContextFor, type Recipient } from "./context.js";
import type { DataKeyCache, TakenDataKey } from "./data-key-cache.js";
import { SHARED_KMS_CALL_TIMEOUT_MS } from "./shared-call.js";

export interface SealedEnvelope extends ClearFields {
  readonly encryptedDataKey: Uint8Array;
  readonly encryptionContext: Record<string, string>;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
  /** `EncryptedCredentials.binding`: which additional data the ciphertext is bound to. */
  readonly binding: number;
}

/** A data key obtained ahead of sealing, for one recipient. */
export interface PreparedDataKey {
  readonly recipient: Recipient;
  readonly encryptionContext: Record<string, string>;
  readonly key: TakenDataKey;
  /** Sealed replies (x25519.ts): the worker's ephemeral public key, sent and bound in clear. */
  readonly senderPublicKey?: Uint8Array;
}

/**
 * Plaintext bytes a cached data key reserves per reply before the reply exists (a credentials
 * reply is well under this; a larger one is charged to the key after sealing).
 */
export const RESERVED_REPLY_BYTES = 4096;

export interface SealerOptions {
  readonly kms: KMSClient;
  /** Key id, ARN or alias of the reply key. */
  readonly keyId: string;
  /** Reuse of data keys per recipient; omit for one data key per reply. */
  readonly cache?: DataKeyCache;
}

export class EnvelopeSealer {
  constructor(private readonly options: SealerOptions) {}

  /**
   * Seals `plaintext` for `recipient`, bound to `requestId` and to every clear field the reply
   * will carry (`clear`, the data key's KMS key ARN and the encryption context).
   */
  async seal(recipient: Recipient, requestId: string, clear: IssuedClearFields, plaintext: Uint8Array, signal?: AbortSignal): Promise<SealedEnvelope> {
    return this.sealWith(await this.dataKey(recipient, signal), requestId, clear, plaintext);
  }

  /**
   * The data key a reply to `recipient` will be sealed with, obtained ahead (the worker does this
   * before it calls STS, so a broken KMS key never costs an AssumeRole). The caller owns the
   * private copy: pass it to sealWith(), which zeroes it, or zero it itself.
   */
  async dataKey(recipient: Recipient, signal?: AbortSignal): Promise<PreparedDataKey> {
    const encryptionContext = encryptionContextFor(recipient);
    // dataKeyFor always hands out a private copy of the key: the cache zeroes keys it evicts.
    return { recipient, encryptionContext, key: await this.dataKeyFor(recipient, encryptionContext, signal) };
  }

  /** Seals with a key from dataKey() (no KMS call), and zeroes that key. */
  sealWith(prepared: PreparedDataKey, requestId: string, clear: IssuedClearFields, plaintext: Uint8Array): SealedEnvelope {
    const { encryptionContext, key: dataKey } = prepared;
    try {
      const fields: ClearFields = {
        kmsKeyId: dataKey.keyId,
        encryptionContext,
        expirationMs: clear.expirationMs,
        assumedRoleArn: clear.assumedRoleArn,
        accessKeyId: clear.accessKeyId,
        sourceIdentity: clear.sourceIdentity,
        packedPolicySize: clear.packedPolicySize,
        ...(prepared.senderPublicKey ? { senderPublicKey: prepared.senderPublicKey } : {}),
      };
      const { nonce, ciphertext } = aeadSeal(dataKey.plaintext, plaintext, bindingData(requestId, fields));
      if (plaintext.length > RESERVED_REPLY_BYTES) dataKey.charge?.(plaintext.length - RESERVED_REPLY_BYTES);
      return { ...fields, encryptionContext, encryptedDataKey: dataKey.encrypted, nonce, ciphertext, binding: REPLY_BINDING_VERSION };
    } finally {
      dataKey.plaintext.fill(0);
    }
  }

  private dataKeyFor(recipient: Recipient, context: Record<string, string>, signal?: AbortSignal): Promise<TakenDataKey> {
    const cache = this.options.cache;
    if (!cache?.enabled) return this.generate(context, signal);
    const cacheKey = `${this.options.keyId}\u0000${recipient.tenant}\u0000${recipient.principal}`;
    // A shared call gets its own timeout, not this caller's signal: otherwise this caller's
    // deadline would fail every concurrent reply to the same recipient.
    return cache.take(cacheKey, () => this.generate(context, AbortSignal.timeout(SHARED_KMS_CALL_TIMEOUT_MS)), {
      bytes: RESERVED_REPLY_BYTES,
      tenant: recipient.tenant,
      ...(signal ? { signal } : {}),
    });
  }

  private async generate(context: Record<string, string>, signal?: AbortSignal): Promise<TakenDataKey> {
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
