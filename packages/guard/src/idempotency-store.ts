import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import { isValidName, isValidRequestId } from "@credvend/protocol";
import { callRedis } from "./redis-errors.js";
import { guardCommands, type GuardCommands } from "./scripts.js";

export type ClaimResult =
  /** You own the request: do the work, then complete() or release(). */
  | { state: "claimed"; token: string }
  /** An identical earlier request finished: replay this reply. */
  | { state: "done"; reply: Uint8Array }
  /** An identical request is in flight elsewhere. */
  | { state: "pending" }
  /** Same request id, different content. */
  | { state: "mismatch" };

export interface IdempotencyScope {
  tenant: string;
  principal: string;
}

export interface IdempotencyStoreOptions {
  /** Key prefix. Default "credvend:idem". */
  prefix?: string;
  /** How long a claim lives if its owner never completes or releases it (crashed worker). Default 30 s. */
  leaseMs?: number;
  /** How long a done record (and its reply) is kept for replays. Default 24 h. */
  ttlMs?: number;
}

export interface AwaitResultOptions {
  signal?: AbortSignal;
  /** Absolute deadline (epoch ms); at the deadline the result is { state: "pending" }. */
  deadlineMs: number;
  /** First poll interval; it grows by half each poll up to 250 ms. Default 20 ms. */
  pollMs?: number;
}

export const DEFAULT_IDEMPOTENCY_PREFIX = "credvend:idem";
export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_DONE_TTL_MS = 24 * 60 * 60 * 1000;
const DEFAULT_POLL_MS = 20;
const MAX_POLL_MS = 250;

/**
 * Idempotency records keyed by (tenant, principal, request id). Each operation is one Lua round trip.
 * Replies are stored as given: the vendor passes encrypted reply bytes only, never plaintext secrets.
 */
export class IdempotencyStore {
  readonly #redis: Redis;
  readonly #commands: GuardCommands;
  readonly #prefix: string;
  readonly #leaseMs: number;
  readonly #ttlMs: number;

  constructor(redis: Redis, options: IdempotencyStoreOptions = {}) {
    this.#redis = redis;
    this.#commands = guardCommands(redis);
    this.#prefix = options.prefix ?? DEFAULT_IDEMPOTENCY_PREFIX;
    this.#leaseMs = positiveInteger("leaseMs", options.leaseMs ?? DEFAULT_LEASE_MS);
    this.#ttlMs = positiveInteger("ttlMs", options.ttlMs ?? DEFAULT_DONE_TTL_MS);
  }

  /** Claims the request id, or reports the earlier request's state. */
  async claim(scope: IdempotencyScope, requestId: string, fingerprint: string): Promise<ClaimResult> {
    const key = this.#key(scope, requestId);
    if (fingerprint === "") throw new RangeError("idempotency fingerprint must not be empty");
    const token = randomUUID();
    const reply = await callRedis(this.#redis, `idempotency claim of ${requestId}`, () =>
      this.#commands.cvIdemClaimBuffer(key, token, fingerprint, this.#leaseMs),
    );
    const state = reply[0]?.toString("latin1");
    switch (state) {
      case "claimed":
        return { state, token };
      case "done":
        return { state, reply: new Uint8Array(reply[1] ?? Buffer.alloc(0)) };
      case "pending":
      case "mismatch":
        return { state };
      default:
        throw new Error(`idem-claim.lua returned an unknown state ${JSON.stringify(state)}`);
    }
  }

  /** Stores the final reply if `token` still owns the claim; false if the claim was lost (lease expired). */
  async complete(scope: IdempotencyScope, requestId: string, token: string, reply: Uint8Array, ttlMs?: number): Promise<boolean> {
    const key = this.#key(scope, requestId);
    const bytes = Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
    // A caller may keep a record for less than the store's TTL (a reply whose credentials expire
    // sooner), never for more.
    const keepMs = Math.max(1, Math.min(ttlMs ?? this.#ttlMs, this.#ttlMs));
    const stored = await callRedis(this.#redis, `idempotency completion of ${requestId}`, () =>
      this.#commands.cvIdemComplete(key, token, bytes, keepMs),
    );
    return stored === 1;
  }

  /** Drops a pending claim owned by `token` (after a retryable failure) so a retry can do the work. */
  async release(scope: IdempotencyScope, requestId: string, token: string): Promise<void> {
    const key = this.#key(scope, requestId);
    await callRedis(this.#redis, `idempotency release of ${requestId}`, () => this.#commands.cvIdemRelease(key, token));
  }

  /** How long a claim lives without renewal. */
  get leaseMs(): number {
    return this.#leaseMs;
  }

  /**
   * Extends a pending claim owned by `token` by another lease; false if the claim was lost.
   * An owner that may work longer than one lease renews (see keepClaim), so a duplicate never takes
   * over from a live owner; a crashed owner stops renewing and its claim expires.
   */
  async renew(scope: IdempotencyScope, requestId: string, token: string): Promise<boolean> {
    const key = this.#key(scope, requestId);
    const renewed = await callRedis(this.#redis, `idempotency lease renewal of ${requestId}`, () => this.#commands.cvIdemRenew(key, token, this.#leaseMs));
    return renewed === 1;
  }

  /**
   * Renews the claim every third of a lease until the returned function is called (do that before
   * complete() or release()). `onLost` is called once if the claim turns out to be lost. A failed
   * renewal (Redis down) is retried at the next tick; the lease covers two missed ticks.
   */
  keepClaim(scope: IdempotencyScope, requestId: string, token: string, onLost?: () => void): () => void {
    const timer = setInterval(() => {
      this.renew(scope, requestId, token).then((held) => {
        if (!held) {
          clearInterval(timer);
          onLost?.();
        }
      }, () => undefined);
    }, Math.max(1, Math.floor(this.#leaseMs / 3)));
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * For a duplicate that arrived while the first is in flight: polls until done, mismatch, or the
   * lease expired (then this caller gets "claimed" and must do the work), or returns "pending" at the
   * deadline. Polling, not pub/sub, so no extra connection per worker; duplicates are rare.
   */
  async awaitResult(scope: IdempotencyScope, requestId: string, fingerprint: string, options: AwaitResultOptions): Promise<ClaimResult> {
    const { signal, deadlineMs } = options;
    let delay = options.pollMs ?? DEFAULT_POLL_MS;
    for (;;) {
      signal?.throwIfAborted();
      const result = await this.claim(scope, requestId, fingerprint);
      if (result.state !== "pending") return result;
      const left = deadlineMs - Date.now();
      if (left <= 0) return result;
      try {
        await sleep(Math.min(delay, left), undefined, signal ? { signal } : undefined);
      } catch (err) {
        // Surface the caller's reason (e.g. its deadline error), not Node's generic AbortError.
        throw signal?.aborted ? signal.reason : err;
      }
      delay = Math.min(delay * 1.5, MAX_POLL_MS);
    }
  }

  #key(scope: IdempotencyScope, requestId: string): string {
    if (!isValidName(scope.tenant)) throw new RangeError(`invalid tenant ${JSON.stringify(scope.tenant)}`);
    if (!isValidName(scope.principal)) throw new RangeError(`invalid principal ${JSON.stringify(scope.principal)}`);
    if (!isValidRequestId(requestId)) throw new RangeError(`invalid request id ${JSON.stringify(requestId)}`);
    return `${this.#prefix}:{${scope.tenant}}:${scope.principal}:${requestId}`;
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`IdempotencyStore ${name} must be a positive integer, got ${value}`);
  return value;
}
