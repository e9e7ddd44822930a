import { encodeCredentials, encodeSuccessReply } from "@credvend/protocol";
import type { EnvelopeSealer } from "@credvend/envelope";
import { classifyAwsError } from "../aws/classify-aws-error.js";
import type { Stage } from "../pipeline/pipeline.js";
import type { Issued, Replied, WorkerStageContext } from "../pipeline/types.js";

/**
 * Seals the credentials for the requester: a KMS data key under the requester's encryption
 * context, AES-256-GCM with the request id and every clear field of the reply as additional data.
 * The reply carries no plaintext secret.
 */
export function encryptStage(sealer: EnvelopeSealer): Stage<Issued, Replied, WorkerStageContext> {
  return {
    name: "encrypt",
    async run(input, ctx) {
            const { issued } = input;
      const plaintext = encodeCredentials({
        accessKeyId: issued.accessKeyId,
        secretAccessKey: issued.secretAccessKey,
        sessionToken: issued.sessionToken,
        expirationMs: issued.expirationMs,
      });
      let sealed;
      try {
        sealed = await sealer.seal(input.identity, input.requestId, {
          expirationMs: issued.expirationMs,
          assumedRoleArn: issued.assumedRoleArn,
          accessKeyId: issued.accessKeyId,
          sourceIdentity: issued.sourceIdentity,
          packedPolicySize: issued.packedPolicySize,
        }, plaintext, ctx.signal);
      } catch (error) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        throw classifyAwsError(error, "kms", "GenerateDataKey");
      } finally {
        plaintext.fill(0);
      }
      // The sealed envelope carries the clear fields it is bound to: the reply sends exactly those.
      const reply = encodeSuccessReply(input.requestId, sealed, ctx.now());
      return { reply };
    },
  };
}
