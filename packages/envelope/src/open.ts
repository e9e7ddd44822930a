// Requester side: open a sealed reply with the requester's own AWS identity, accepting only what
// it asked for: its own encryption context, the reply key it pinned, its own request id, and clear
// fields exactly as sealed.
import { DecryptCommand, type KMSClient } from "@aws-sdk/client-kms";
import { createHash } from "node:crypto";
import { aeadOpen, KEY_BYTES, NONCE_BYTES, TAG_BYTES } from "./aead.js";
import { bindingData, REPLY_BINDING_VERSION, type ClearFields } from "./binding.js";
import { contextNames, encryptionContextFor, type Recipient } from "./context.js";
import { zeroLater } from "./data-key-cache.js";
import { SHARED_KMS_CALL_TIMEOUT_MS } from "./shared-call.js";
import { SingleFlightCache } from "./single-flight-cache.js";
import { clip } from "./clip.js";

export interface EnvelopeInput extends ClearFields {
  readonly encryptedDataKey: Uint8Array;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly binding: number;
}

/** The envelope is not one this requester can trust (forged, altered, or sealed for someone else). */
export class EnvelopeOpenError extends Error {
  override readonly name = "EnvelopeOpenError";
}

export interface OpenerOptions {
  /** KMS client with the requester's own AWS identity. */
  readonly kms: KMSClient;
  readonly recipient: Recipient;
  /** ARN of the reply key (arn:aws:kms:REGION:ACCOUNT:key/ID): envelopes under any other key are refused. */
  readonly keyArn: string;
  /** How long a decrypted data key is remembered (the vendor reuses one for a while). Default 5 min. */
  readonly maxAgeMs?: number;
  readonly maxEntries?: number;
}

/** A KMS key ARN, the form KMS Decrypt reports (aliases and bare ids can not be compared with it). */
export const KMS_KEY_ARN_PATTERN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

interface DataKey {
  readonly plaintext: Uint8Array;
}

export class EnvelopeOpener {
  /** Decrypted data keys by the hash of their encrypted form; concurrent replies share one Decrypt. */
  private readonly keys: SingleFlightCache<DataKey>;
  private readonly maxAgeMs: number;

  constructor(private readonly options: OpenerOptions) {
    if (!KMS_KEY_ARN_PATTERN.test(options.keyArn)) {
      throw new RangeError(`keyArn must be the reply key's ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID), not an alias or bare id; got '${options.keyArn}'`);
    }
    this.maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
    this.keys = new SingleFlightCache<DataKey>({ maxEntries: options.maxEntries ?? 64, onEvict: (key) => zeroLater(key.plaintext) });
  }

  /**
   * The plaintext of `envelope`, or EnvelopeOpenError when it is not a reply to `requestId` sealed
   * for this recipient under the pinned key. KMS failures are thrown as the SDK threw them.
   */
  async open(envelope: EnvelopeInput, requestId: string, signal?: AbortSignal): Promise<Uint8Array> {
    const { recipient, keyArn } = this.options;
    // Everything that can be checked without KMS is checked first: junk costs no KMS call.
    if (envelope.binding !== REPLY_BINDING_VERSION) {
      throw new EnvelopeOpenError(`reply binds its clear fields with version ${envelope.binding}; this client accepts only version ${REPLY_BINDING_VERSION} (upgrade the workers)`);
    }
    if (!contextNames(envelope.encryptionContext, recipient)) {
      throw new EnvelopeOpenError(`reply is encrypted for ${clip(JSON.stringify(envelope.encryptionContext))}, not for tenant '${recipient.tenant}' principal '${recipient.principal}'`);
    }
    if (envelope.kmsKeyId !== keyArn) {
      throw new EnvelopeOpenError(`reply is sealed under KMS key '${clip(envelope.kmsKeyId)}'; this client accepts only its reply key '${keyArn}'`);
    }
    if (envelope.encryptedDataKey.length === 0) throw new EnvelopeOpenError("reply carries no encrypted data key");
    // The AEAD's own shape checks, before KMS: a malformed nonce or tag must not cost a Decrypt.
    if (envelope.nonce.length !== NONCE_BYTES) throw new EnvelopeOpenError(`reply nonce is ${envelope.nonce.length} bytes, not ${NONCE_BYTES}`);
    if (envelope.ciphertext.length < TAG_BYTES) throw new EnvelopeOpenError("reply ciphertext is shorter than its authentication tag");
    const key = await this.dataKey(envelope.encryptedDataKey, signal);
    try {
      return aeadOpen(key, envelope.nonce, envelope.ciphertext, bindingData(requestId, envelope));
    } catch (cause) {
      throw new EnvelopeOpenError(`reply ciphertext failed authentication for request '${requestId}' (altered clear fields, tampered, or for another request)`, { cause });
    }
  }

  private async dataKey(encrypted: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    const id = createHash("sha256").update(encrypted).digest("base64");
    // Shared by concurrent opens of replies under this data key: its own timeout, not this
    // caller's signal, so one caller's abort cannot fail the others.
    const { value } = await this.keys.obtain(id, () => this.decrypt(encrypted, AbortSignal.timeout(SHARED_KMS_CALL_TIMEOUT_MS)), {
      ttlMs: () => this.maxAgeMs,
      ...(signal ? { signal } : {}),
    });
    return value.plaintext;
  }

  private async decrypt(encrypted: Uint8Array, signal: AbortSignal): Promise<DataKey> {
    const { kms, recipient, keyArn } = this.options;
    // KeyId is the pinned key, never the reply's claim: KMS then refuses a blob made under any
    // other key (IncorrectKeyException), even one whose policy lets this requester decrypt.
    const out = await kms.send(
      new DecryptCommand({ CiphertextBlob: encrypted, KeyId: keyArn, EncryptionContext: encryptionContextFor(recipient) }),
      { abortSignal: signal },
    );
    const plaintext = out.Plaintext;
    // Decrypt opens any ciphertext under the pinned key and this recipient's context, not only a
    // GenerateDataKey AES_256 key (whoever may kms:Encrypt there chooses the blob): anything but
    // 32 bytes is not a credvend data key, is never used or cached, and is zeroed at once.
    if (out.KeyId !== keyArn || plaintext?.length !== KEY_BYTES) {
      plaintext?.fill(0);
      if (out.KeyId !== keyArn) throw new EnvelopeOpenError(`KMS decrypted the reply's data key with key '${clip(out.KeyId ?? "(none)")}', not the pinned reply key '${keyArn}'`);
      throw new EnvelopeOpenError(`the reply's encrypted data key is not a ${KEY_BYTES}-byte AES-256 data key under the reply key (KMS Decrypt returned ${plaintext ? "another length" : "no plaintext"})`);
    }
    return { plaintext };
  }
}
