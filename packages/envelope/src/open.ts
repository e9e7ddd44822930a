// Requester side: open a sealed reply with the requester's own AWS identity.
import { DecryptCommand, type KMSClient } from "@aws-sdk/client-kms";
import { createHash } from "node:crypto";
import { aeadOpen } from "./aead.js";
import { additionalDataFor, contextNames, type Recipient } from "./context.js";
import { SHARED_KMS_CALL_TIMEOUT_MS, untilAborted } from "./shared-call.js";

export interface EnvelopeInput {
  readonly encryptedDataKey: Uint8Array;
  readonly kmsKeyId: string;
  readonly encryptionContext: Readonly<Record<string, string>>;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
}

export class EnvelopeOpenError extends Error {
  override readonly name = "EnvelopeOpenError";
}

/**
 * Decrypts envelopes for one recipient. Data keys decrypted through KMS are remembered (by the
 * hash of their encrypted form) for `maxAgeMs`, because the vendor reuses a data key for a while.
 */
export class EnvelopeOpener {
  private readonly keys = new Map<string, { key: Uint8Array; expiresAt: number }>();
  /** Single-flight: concurrent replies under one new data key cost one KMS Decrypt. */
  private readonly inflight = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly kms: KMSClient,
    private readonly recipient: Recipient,
    private readonly options: { maxAgeMs?: number; maxEntries?: number } = {},
  ) {}

  async open(envelope: EnvelopeInput, requestId: string, signal?: AbortSignal): Promise<Uint8Array> {
    // Refuse an envelope made for someone else before asking KMS anything.
    if (!contextNames(envelope.encryptionContext, this.recipient)) {
      throw new EnvelopeOpenError(`reply is encrypted for ${JSON.stringify(envelope.encryptionContext)}, not for tenant '${this.recipient.tenant}' principal '${this.recipient.principal}'`);
    }
    const key = await this.dataKey(envelope, signal);
    try {
      return aeadOpen(key, envelope.nonce, envelope.ciphertext, additionalDataFor(requestId));
    } catch (cause) {
      throw new EnvelopeOpenError(`reply ciphertext failed authentication for request '${requestId}' (tampered, or for another request)`, { cause });
    }
  }

  private async dataKey(envelope: EnvelopeInput, signal?: AbortSignal): Promise<Uint8Array> {
    const id = createHash("sha256").update(envelope.encryptedDataKey).digest("base64");
    const now = Date.now();
    const hit = this.keys.get(id);
    if (hit && hit.expiresAt > now) return hit.key;
    let pending = this.inflight.get(id);
    if (!pending) {
      // Shared by concurrent opens of replies under this data key: its own timeout, not this
      // caller's signal, so one caller's abort cannot fail the others.
      pending = this.decryptDataKey(envelope, id, AbortSignal.timeout(SHARED_KMS_CALL_TIMEOUT_MS)).finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    return untilAborted(pending, signal);
  }

  private async decryptDataKey(envelope: EnvelopeInput, id: string, signal?: AbortSignal): Promise<Uint8Array> {
    const now = Date.now();
    const out = await this.kms.send(
      new DecryptCommand({ CiphertextBlob: envelope.encryptedDataKey, KeyId: envelope.kmsKeyId, EncryptionContext: { ...envelope.encryptionContext } }),
      signal ? { abortSignal: signal } : undefined,
    );
    if (!out.Plaintext) throw new EnvelopeOpenError("KMS Decrypt returned no plaintext for the reply's data key");
    const maxAgeMs = this.options.maxAgeMs ?? 5 * 60_000;
    if (maxAgeMs > 0) {
      if (this.keys.size >= (this.options.maxEntries ?? 64)) {
        const oldest = this.keys.keys().next();
        if (!oldest.done) this.keys.delete(oldest.value);
      }
      this.keys.set(id, { key: out.Plaintext, expiresAt: now + maxAgeMs });
    }
    return out.Plaintext;
  }
}
