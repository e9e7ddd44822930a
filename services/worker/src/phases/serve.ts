// The pipeline phase: one request through the stages, bounded by its deadline and by the worker's
// stop, with each stage timed from outside. Never throws: every failure becomes an error reply.
import { CredvendError, type SubjectIdentity } from "@credvend/protocol";
import type { Logger } from "pino";
import { DeadlineReached, errorReply, toCredvendError } from "../boundary.js";
import { Finished, type Pipeline } from "../pipeline/pipeline.js";
import type { RequestRecord } from "../pipeline/record.js";
import type { Incoming, Replied, WorkerStageContext } from "../pipeline/types.js";

export interface Served {
  readonly record: RequestRecord;
  readonly reply: Uint8Array;
  readonly error: CredvendError | undefined;
  /** "issued", "refused", or what a stage that finished early said (e.g. "replayed"). */
  readonly outcome: string;
  /** Milliseconds per stage that ran, in order. */
  readonly stages: Readonly<Record<string, number>>;
}

export interface ServeDeps {
  readonly pipeline: Pipeline<Incoming, Replied, WorkerStageContext>;
  readonly log: Logger;
  readonly now: () => number;
  readonly defaultDeadlineMs: number;
  /** Requests being served, so that stop() can abort them. */
  readonly running: Set<AbortController>;
}

/** `identity` is the subject's, as admission read it: known even if the deadline passed in the queue. */
export async function serve(deps: ServeDeps, incoming: Incoming, receivedAt: number, identity: SubjectIdentity | undefined): Promise<Served> {
  const { now } = deps;
  const record: RequestRecord = { receivedAt, deadlineMs: receivedAt + deps.defaultDeadlineMs, ...(identity ? { identity } : {}) };
  const controller = new AbortController();
  deps.running.add(controller);
  const abortAt = (epochMs: number) => setTimeout(() => controller.abort(new DeadlineReached()), Math.max(0, epochMs - now()));
  let timer = abortAt(record.deadlineMs);
  let requestLog: Logger | undefined;
  const ctx: WorkerStageContext = {
    // The request's own child logger, made on first use (most requests log only their completion
    // line), bound to what is known about the request by then.
    get log() {
      requestLog ??= deps.log.child({ requestId: record.requestId, tenant: record.identity?.tenant, principal: record.identity?.principal, template: record.template });
      return requestLog;
    },
    signal: controller.signal,
    now,
    record,
    setDeadline(epochMs) {
      record.deadlineMs = epochMs;
      clearTimeout(timer);
      timer = abortAt(epochMs);
    },
  };
  const stages: Record<string, number> = {};
  const observe = (stage: string, ms: number) => { stages[stage] = Math.round(ms * 100) / 100; };
  try {
    const out = await deps.pipeline.run(incoming, ctx, observe);
    return { record, reply: out.reply, error: undefined, outcome: out instanceof Finished ? out.outcome : "issued", stages };
  } catch (thrown) {
    let error = toCredvendError(controller.signal.aborted && !(thrown instanceof CredvendError) ? controller.signal.reason : thrown, record);
    // Refused before its rate limits were charged (rate-limit:caller deferred them): charge now.
    if (record.chargeRefusal) error = await record.chargeRefusal(error);
    return { record, reply: errorReply(record, error, now()), error, outcome: "refused", stages };
  } finally {
    clearTimeout(timer);
    record.stopClaimRenewal?.();
    deps.running.delete(controller);
  }
}
