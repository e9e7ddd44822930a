import { encodeCredentials, encodeSuccessReply, type SubjectIdentity } from "@credvend/protocol";
import type { EnvelopeSealer, PreparedDataKey } from "@credvend/envelope";
import type { Stage } from "../pipeline/pipeline.js";
import type { IssuedCredentials, Replied, WorkerStageContext } from "../pipeline/types.js";
import type { KeyedIssued } from "./data-key.js";

/** What sealing needs: the recipient, the request id, the issued credentials and the data key. */
export interface ToSeal {
  readonly identity: SubjectIdentity;
  readonly requestId: string;
  readonly issued: IssuedCredentials;
  readonly dataKey: PreparedDataKey;
}

/**
 * The success reply for `input`: the credentials sealed under the data key obtained before STS
 * (no KMS call here, so nothing fails between STS and the reply), AES-256-GCM with the request
 * id and every clear field of the reply as additional data. The plaintext is zeroed.
 */
export function sealedReply(sealer: EnvelopeSealer, input: ToSeal, nowMs: number): Uint8Array {
  const { issued } = input;
  const plaintext = encodeCredentials({
    accessKeyId: issued.accessKeyId,
    secretAccessKey: issued.secretAccessKey,
    sessionToken: issued.sessionToken,
    expirationMs: issued.expirationMs,
  });
  try {
    const sealed = sealer.sealWith(input.dataKey, input.requestId, {
      expirationMs: issued.expirationMs,
      assumedRoleArn: issued.assumedRoleArn,
      accessKeyId: issued.accessKeyId,
      sourceIdentity: issued.sourceIdentity,
      packedPolicySize: issued.packedPolicySize,
    }, plaintext);
    // The sealed envelope carries the clear fields it is bound to: the reply sends exactly those.
    return encodeSuccessReply(input.requestId, sealed, nowMs);
  } finally {
    plaintext.fill(0);
  }
}

/** Seals the credentials for the requester. The reply carries no plaintext secret. */
export function encryptStage(sealer: EnvelopeSealer): Stage<KeyedIssued, Replied, WorkerStageContext> {
  return {
    name: "encrypt",
    run(input, ctx) {
      return { reply: sealedReply(sealer, input, ctx.now()) };
    },
  };
}
