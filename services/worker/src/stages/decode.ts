import { decodeRequest } from "@credvend/protocol";
import type { Stage } from "../pipeline/pipeline.js";
import type { Decoded, Identified, WorkerStageContext } from "../pipeline/types.js";

/** Bytes → CredentialRequest. Malformed protobuf becomes INVALID_ARGUMENT (CV_ERR_REQUEST_DECODE). */
export function decodeStage(): Stage<Identified, Decoded, WorkerStageContext> {
  return {
    name: "decode",
    run(input, ctx) {
      const request = input.request ?? decodeRequest(input.data);
      const record = ctx.record;
      if (request.requestId) record.requestId = request.requestId;
      if (request.template) record.template = request.template;
      return { ...input, request };
    },
  };
}
