import { importReplyPublicKey, ReplyKeyError } from "@credvend/envelope";
import { CredvendError } from "@credvend/protocol";
import { checkRequestFields, checkRequestId, type VendInput } from "@credvend/policy";
import type { Stage } from "../pipeline/pipeline.js";
import type { Decoded, Validated, WorkerStageContext } from "../pipeline/types.js";
import { requestFingerprint } from "./fingerprint.js";

export interface ValidateOptions {
  /** How far client_time_ms may be from the vendor's clock, either way. */
  readonly replayWindowMs: number;
  /** Deadline used when the request sets none. */
  readonly defaultDeadlineMs: number;
  /** Longest deadline honoured. */
  readonly maxDeadlineMs: number;
  /** The worker has a sealing key: requests may ask for sealed replies (where a rule permits). */
  readonly sealedReplies?: boolean;
}

function invalid(field: string, message: string): CredvendError {
  return new CredvendError("CV_ERR_REQUEST_FIELD", `${field}: ${message}`, { field });
}

/** A sealed reply's key, refused here (before any config or AWS) when no reply could be sealed to it. */
function checkedReplyKey(raw: Uint8Array, enabled: boolean): Uint8Array {
  if (!enabled) {
    throw new CredvendError("CV_ERR_SEALED_REPLY_NOT_ALLOWED", "this vendor has no sealing key (CREDVEND_SEALING_KEY_FILE), so it seals no replies to requesters' keys; omit reply_public_key and decrypt the KMS envelope", { field: "reply_public_key" });
  }
  try {
    importReplyPublicKey(raw);
  } catch (error) {
    if (error instanceof ReplyKeyError) throw invalid("reply_public_key", `${error.message}; send the 32-byte public key of a fresh X25519 key pair, or omit it for a KMS envelope`);
    throw error;
  }
  return Uint8Array.from(raw);
}

/** Request-shape checks that need no config: ids, clocks, deadlines, sizes. */
export function validateStage(options: ValidateOptions): Stage<Decoded, Validated, WorkerStageContext> {
  return {
    name: "validate",
    run(input, ctx) {
      const vctx = ctx;
      const now = ctx.now();
      const r = input.request;
      checkRequestId(r.requestId);
      vctx.record.requestId = r.requestId;

      if (!r.clientTimeMs) throw invalid("client_time_ms", "is required: set it to the requester's clock in milliseconds since the Unix epoch");
      const skew = now - r.clientTimeMs;
      if (Math.abs(skew) > options.replayWindowMs) {
        throw new CredvendError("CV_ERR_REQUEST_STALE",
          `client_time_ms is ${Math.round(Math.abs(skew) / 1000)} s ${skew > 0 ? "in the past" : "in the future"}; requests must be within ${options.replayWindowMs / 1000} s of the vendor's clock (send a fresh request, or fix the requester's clock)`,
          { field: "client_time_ms" });
      }
      const deadline = r.deadlineMs ? Math.min(r.deadlineMs, now + options.maxDeadlineMs) : now + options.defaultDeadlineMs;
      if (deadline <= now) {
        throw new CredvendError("CV_ERR_DEADLINE_PASSED", `deadline_ms passed ${now - deadline} ms before the vendor received the request; send it again with a later deadline`, { field: "deadline_ms" });
      }
      vctx.setDeadline(deadline);

      const replyPublicKey = r.replyPublicKey && r.replyPublicKey.length > 0 ? checkedReplyKey(r.replyPublicKey, options.sealedReplies === true) : undefined;
      if (replyPublicKey) vctx.record.sealedReply = true;

      const vendInput: VendInput = {
        tenant: input.identity.tenant,
        principal: input.identity.principal,
        requestId: r.requestId,
        template: r.template,
        params: { ...r.params },
        ...(r.durationSeconds ? { durationSeconds: r.durationSeconds } : {}),
        ...(r.onBehalfOf ? { onBehalfOf: r.onBehalfOf } : {}),
        ...(r.mfa && (r.mfa.serialNumber || r.mfa.tokenCode) ? { mfa: { serialNumber: r.mfa.serialNumber ?? "", tokenCode: r.mfa.tokenCode ?? "" } } : {}),
        ...(r.federation ? {
          federation: {
            ...(r.federation.webIdentityToken ? { webIdentityToken: r.federation.webIdentityToken } : {}),
            ...(r.federation.providerId ? { providerId: r.federation.providerId } : {}),
            ...(r.federation.samlAssertion ? { samlAssertion: r.federation.samlAssertion } : {}),
            ...(r.federation.samlProviderArn ? { samlProviderArn: r.federation.samlProviderArn } : {}),
          },
        } : {}),
        ...(replyPublicKey ? { sealedReply: true } : {}),
      };
      // Template, parameter, duration and on_behalf_of bounds: the one check policy also runs.
      checkRequestFields(vendInput);
      return { ...input, requestId: r.requestId, input: vendInput, fingerprint: input.fingerprint ?? requestFingerprint(r), clientTimeMs: r.clientTimeMs, ...(replyPublicKey ? { replyPublicKey } : {}) };
    },
  };
}
