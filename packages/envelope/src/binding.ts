// What a reply's AES-GCM additional data binds: the request id and every field the envelope
// carries in clear. Whoever can publish on a reply subject can rewrite clear fields (the role ARN
// a caller logs, the access key id it reports, the expiry it schedules a refresh by, the key id it
// asks KMS about); bound here, any such change makes the ciphertext fail authentication.

/** `EncryptedCredentials.binding` of envelopes whose additional data is `bindingData`. */
export const REPLY_BINDING_VERSION = 1;

/** The clear fields of an envelope, as sealed and as received. */
export interface ClearFields {
  readonly kmsKeyId: string;
  readonly encryptionContext: Readonly<Record<string, string>>;
  readonly expirationMs: number;
  readonly assumedRoleArn: string;
  readonly accessKeyId: string;
  readonly sourceIdentity: string;
  readonly packedPolicySize: number;
  readonly senderPublicKey?: Uint8Array;
}

/** The clear fields the worker fills in; the key id and context come from the sealing itself. */
export type IssuedClearFields = Omit<ClearFields, "kmsKeyId" | "encryptionContext" | "senderPublicKey">;

const LABEL = `credvend.v1.reply-binding.${REPLY_BINDING_VERSION}`;

/**
 * Canonical bytes of (request id, clear fields): a JSON array in a fixed order, the context sorted
 * by key, so sealer and opener compute the same bytes whatever order a map arrived in.
 */
export function bindingData(requestId: string, fields: ClearFields): Uint8Array {
  const context = Object.entries(fields.encryptionContext).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = JSON.stringify([
    LABEL,
    requestId,
    fields.kmsKeyId,
    context,
    fields.expirationMs,
    fields.assumedRoleArn,
    fields.accessKeyId,
    fields.sourceIdentity,
    fields.packedPolicySize,
    Buffer.from(fields.senderPublicKey ?? new Uint8Array()).toString("base64"),
  ]);
  return Buffer.from(canonical, "utf8");
}
