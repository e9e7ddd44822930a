// Credentials STS issues after their request gave up (deadline passed, worker stopping) are not
// thrown away: the request's claim is handed to this settlement, which keeps renewing it, seals
// the credentials with the data key obtained before STS, and stores the sealed reply as the
// request id's record. A retry (on any worker) then waits for that record and replays it: no
// second AssumeRole, and no plaintext leaves this worker's memory.
import type { EnvelopeSealer } from "@credvend/envelope";
import type { IdempotencyStore } from "@credvend/guard";
import type { Logger } from "pino";
import type { Claim } from "../pipeline/record.js";
import type { IssuedCredentials } from "../pipeline/types.js";
import { sealedReply } from "../stages/encrypt.js";
import type { Keyed } from "../stages/data-key.js";

export interface LateSettlementDeps {
  readonly sealer: EnvelopeSealer;
  readonly store: IdempotencyStore;
  readonly now: () => number;
}

/** Settlements still running, so a stopping worker can wait for them. */
const pending = new Set<Promise<void>>();

export function lateSettlements(): number {
  return pending.size;
}

/**
 * Takes over `claim` until `call` settles. `stopRenewal` stops the claim's lease renewal (the
 * request's own, now owned here). Never rejects.
 */
export function settleLate(deps: LateSettlementDeps, input: Keyed, claim: Claim, call: Promise<IssuedCredentials>, stopRenewal: (() => void) | undefined, log: Logger): void {
  const work = call.then(
    async (issued) => {
      const reply = sealedReply(deps.sealer, { ...input, issued }, deps.now());
      const ttlMs = Math.max(1, issued.expirationMs - deps.now());
      await completeWithRetry(deps.store, claim, reply, ttlMs, log);
      log.info({ requestId: claim.requestId, accessKeyId: issued.accessKeyId }, "credentials issued after the request's deadline were stored for its retry");
    },
    async () => {
      input.dataKey.key.plaintext.fill(0);
      await deps.store.release(claim.scope, claim.requestId, claim.token).catch(() => undefined);
    },
  ).catch((e: unknown) => log.warn({ err: e instanceof Error ? { type: e.name, message: e.message } : String(e) }, "late settlement failed"))
    .finally(() => {
      stopRenewal?.();
      pending.delete(work);
    });
  pending.add(work);
}

/** How long a success keeps trying to reach Redis (a restart, a pause): about two default leases. */
const COMPLETE_RETRY_MS = 10_000;

/**
 * Stores a success reply, retrying while Redis is unreachable: a success that is never stored
 * would be issued again to the next retry. Resolves to whether the record holds this reply.
 */
export async function completeWithRetry(store: IdempotencyStore, claim: Claim, reply: Uint8Array, ttlMs: number, log: Logger): Promise<boolean> {
  const until = Date.now() + COMPLETE_RETRY_MS;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      const kept = await store.complete(claim.scope, claim.requestId, claim.token, reply, ttlMs, claim.fingerprint);
      if (!kept) log.warn({ requestId: claim.requestId }, "idempotency claim was taken by another request before completion; a duplicate may have been served twice");
      return kept;
    } catch (error) {
      if (Date.now() + delay > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
    }
  }
}
