import { decodeRequest, isValidRequestId } from "@credvend/protocol";
import { MAX_TEMPLATE_NAME_CHARS } from "@credvend/policy";
import type { Stage } from "../pipeline/pipeline.js";
import type { Decoded, Identified, WorkerStageContext } from "../pipeline/types.js";

/** Bytes → CredentialRequest. Malformed protobuf becomes INVALID_ARGUMENT (CV_ERR_REQUEST_DECODE). */
export function decodeStage(): Stage<Identified, Decoded, WorkerStageContext> {
  return {
    name: "decode",
    run(input, ctx) {
      const request = input.request ?? decodeRequest(input.data);
      const record = ctx.record;
      // The record feeds the reply subject, the audit event, the log line and the metrics, also
      // when validate refuses the request: only values validate would accept go in, so a
      // 100,000-character request_id or template never reaches the audit stream or a terminal.
      if (isValidRequestId(request.requestId)) record.requestId = request.requestId;
      if (request.template && request.template.length <= MAX_TEMPLATE_NAME_CHARS) record.template = request.template;
      return { ...input, request };
    },
  };
}
