import { prepareSealedReplyKey, type EnvelopeSealer, type PreparedDataKey, type SealingKey } from "@credvend/envelope";
import { CredvendError } from "@credvend/protocol";
import { classifyAwsError } from "../aws/classify-aws-error.js";
import { replyKeyRefusal, type ReplyKeyReadiness } from "../aws/reply-key.js";
import type { Stage } from "../pipeline/pipeline.js";
import type { Claimed, Issued, WorkerStageContext } from "../pipeline/types.js";

/** Claimed, with the data key its reply will be sealed with already in hand. */
export interface Keyed extends Claimed {
  readonly dataKey: PreparedDataKey;
}

export type KeyedIssued = Issued & Keyed;

/**
 * Obtains the reply's KMS data key BEFORE STS is called: a broken reply key, a KMS refusal or a
 * KMS outage then costs no AssumeRole, and once STS has issued credentials nothing can fail on
 * KMS any more (sealing needs no further call). Cached data keys make this free for a busy
 * requester. A request with a reply_public_key gets an X25519 key instead, and no KMS call.
 */
export function dataKeyStage(sealer: EnvelopeSealer, sealingKey?: SealingKey, replyKey?: () => ReplyKeyReadiness): Stage<Claimed, Keyed, WorkerStageContext> {
  return {
    name: "data-key",
    async run(input, ctx) {
      // A sealed reply: the access rule permitted it (entitle+render), the key was checked
      // (validate); the X25519 exchange is done here, before STS, like the KMS call it replaces.
      if (input.replyPublicKey) {
        // validate refuses sealed requests on a worker without the key; this is the second line.
        if (!sealingKey) throw new CredvendError("CV_ERR_SEALED_REPLY_NOT_ALLOWED", "this vendor has no sealing key (CREDVEND_SEALING_KEY_FILE), so it seals no replies to requesters' keys");
        return { ...input, dataKey: prepareSealedReplyKey(input.identity, input.replyPublicKey, sealingKey) };
      }
      // A reply key found disabled or gone refuses here, before STS, cached data keys or not.
      const refusal = replyKeyRefusal(replyKey?.());
      if (refusal) throw refusal;
      try {
        return { ...input, dataKey: await sealer.dataKey(input.identity, ctx.signal) };
      } catch (error) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        throw classifyAwsError(error, "kms", "GenerateDataKey");
      }
    },
  };
}
