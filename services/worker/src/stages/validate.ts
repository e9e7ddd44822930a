import { CredvendError, isValidName, isValidRequestId, REQUEST_ID_PATTERN } from "@credvend/protocol";
import type { VendInput } from "@credvend/policy";
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
}

const MAX_PARAMS = 64;
const MAX_PARAM_NAME = 128;
const MAX_PARAM_VALUE = 2048;
const MAX_DURATION = 129_600;

function invalid(field: string, message: string): CredvendError {
  return new CredvendError("CV_ERR_REQUEST_FIELD", `${field}: ${message}`, { field });
}

/** Request-shape checks that need no config: ids, clocks, deadlines, sizes. */
export function validateStage(options: ValidateOptions): Stage<Decoded, Validated, WorkerStageContext> {
  return {
    name: "validate",
    run(input, ctx) {
      const vctx = ctx;
      const now = ctx.now();
      const r = input.request;
      if (!r.requestId) throw invalid("request_id", "is required: set a unique id per request (e.g. a UUID) and reuse it only for retries");
      if (!isValidRequestId(r.requestId)) throw invalid("request_id", `must match ${REQUEST_ID_PATTERN} (8-128 of A-Z a-z 0-9 _ -)`);
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

      if (!r.template) throw invalid("template", "is required: name the template to use");
      if (r.template.length > 128) throw invalid("template", "is longer than 128 characters");
      vctx.record.template = r.template;
      const names = Object.keys(r.params);
      if (names.length > MAX_PARAMS) throw invalid("params", `has ${names.length} entries; at most ${MAX_PARAMS} are accepted`);
      for (const name of names) {
        if (name.length === 0 || name.length > MAX_PARAM_NAME) throw invalid("params", `parameter names must be 1-${MAX_PARAM_NAME} characters`);
        if ((r.params[name] ?? "").length > MAX_PARAM_VALUE) throw invalid(`params.${name}`, `is longer than ${MAX_PARAM_VALUE} characters`);
      }
      if (r.durationSeconds !== 0 && (r.durationSeconds < 900 || r.durationSeconds > MAX_DURATION)) {
        throw new CredvendError("CV_ERR_DURATION_INVALID", `duration_seconds ${r.durationSeconds} is outside 900-${MAX_DURATION} (or 0 for the template's default)`, { field: "duration_seconds" });
      }
      if (r.onBehalfOf && !isValidName(r.onBehalfOf)) throw invalid("on_behalf_of", "is not a valid tenant name (1-64 of a-z, 0-9, '-', '_')");
      if (r.replyPublicKey && r.replyPublicKey.length > 0) {
        throw new CredvendError("CV_ERR_REQUEST_FIELD", "reply_public_key: sealed (X25519) replies are not enabled on this vendor; omit it and decrypt the KMS envelope", { field: "reply_public_key" });
      }

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
      };
      return { ...input, requestId: r.requestId, input: vendInput, fingerprint: requestFingerprint(r) };
    },
  };
}
