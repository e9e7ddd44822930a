import { CredvendError, parseRequestSubject } from "@credvend/protocol";
import type { Stage } from "../pipeline/pipeline.js";
import type { Identified, Incoming, WorkerStageContext } from "../pipeline/types.js";

/**
 * The requester is who the subject says: NATS permissions let each user publish only on its own
 * credvend.v1.req.<tenant>.<principal>. Nothing in the payload can claim an identity.
 */
export function identifyStage(): Stage<Incoming, Identified, WorkerStageContext> {
  return {
    name: "identify",
    run(input, ctx) {
      const identity = parseRequestSubject(input.subject);
      if (!identity) {
        throw new CredvendError("CV_ERR_REQUEST_SUBJECT",
          `subject '${input.subject}' is not credvend.v1.req.<tenant>.<principal> with valid names (1-64 of a-z, 0-9, '-', '_')`);
      }
      ctx.record.identity = identity;
      return { ...input, identity };
    },
  };
}
