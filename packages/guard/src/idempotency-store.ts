import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "./connection.js";
import { isValidName, isValidRequestId } from "@credvend/protocol";
import { CredvendError } from "@credvend/protocol";
import { commandTimeoutOf, COMMAND_TIMED_OUT } from "./command-timeout.js";
import { callRedis, redisAddress, redisUnavailable, REDIS_RETRY_AFTER_MS } from "./redis-errors.js";
import { incarnationsOf, type Incarnations } from "./incarnations.js";
import { redisClockOf, RedisClockSkewError, workerClockVsRedis, type RedisClock } from "./redis-clock.js";
import { nodeOfKey, serverAddress } from "./server-nodes.js";
import { refusal, type KeyedLimits, type RateDecision } from "./rate-limiter.js";
import { runReplicated } from "./replicated-script.js";
import { guardCommands, type GuardCommands } from "./scripts.js";

export type ClaimResult =
  /** You own the request: do the work, then complete() or release(). */
  | { state: "claimed"; token: string }
  /** An identical earlier request finished: replay this reply. */
  | { state: "done"; reply: Uint8Array }
  /** An identical request is in flight elsewhere. */
  | { state: "pending" }
  /** Same request id, different content. */
  | { state: "mismatch" }
  /**
   * No record, but the request is older than the store's memory (Redis lost its data since the
   * request was first sent): it may have been issued already, so it must not be issued again.
   */
  | { state: "forgotten"; epochMs: number };

/** What claimWithLimits answers: a claim result, or the refusal of a rate limit (nothing consumed, nothing claimed). */
export type LimitedClaimResult = ClaimResult | { state: "limited"; decision: RateDecision & { allowed: false } };

export interface ClaimOptions {
  /** The request's client_time_ms, the same for each of its attempts; default: now (no fence). */
  clientTimeMs?: number;
}

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
  /**
   * A request whose client time is before the store's epoch plus this margin, and whose record is
   * missing, is "forgotten". Raise it when client clocks may run ahead of Redis's. Default 0.
   */
  fenceMarginMs?: number;
  /**
   * Replicas that must have a claim (and a completion) before it counts: after each one the store
   * sends WAIT, so a failover to a replica can not forget a claim whose STS call is under way.
   * Fewer acknowledgements within replicaWaitMs fail the call (CV_ERR_REDIS_UNAVAILABLE, and a
   * claim is given up). Default 0: no WAIT (a single Redis without replicas).
   */
  replicas?: number;
  /** How long WAIT waits for the replicas. Default 100 ms. */
  replicaWaitMs?: number;
}

export interface AwaitResultOptions {
  signal?: AbortSignal;
  /** Absolute deadline (epoch ms); at the deadline the result is { state: "pending" }. */
  deadlineMs: number;
  /** First poll interval; it grows by half each poll up to 250 ms. Default 20 ms. */
  pollMs?: number;
  /** As for claim(). */
  clientTimeMs?: number;
}

export const DEFAULT_IDEMPOTENCY_PREFIX = "credvend:idem";
export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_DONE_TTL_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_FENCE_MARGIN_MS = 0;
export const DEFAULT_REPLICA_WAIT_MS = 100;
/**
 * A claim command that reached Redis later than its caller's timeout plus this (Redis paused,
 * then resumed) changes nothing. Measured on Redis's clock (redis-clock.ts): it also covers the
 * error of the client's reading of that clock.
 */
export const LATE_COMMAND_ALLOWANCE_MS = 1000;
/** Attempts of one claim when Redis answers too slowly (a busy event loop, a short stall). */
const CLAIM_ATTEMPTS = 2;
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
  readonly #fenceMarginMs: number;
  readonly #replicas: number;
  readonly #replicaWaitMs: number;
  readonly #incarnations: Incarnations;
  readonly #clock: RedisClock;

  constructor(redis: Redis, options: IdempotencyStoreOptions = {}) {
    this.#redis = redis;
    this.#commands = guardCommands(redis);
    this.#prefix = options.prefix ?? DEFAULT_IDEMPOTENCY_PREFIX;
    this.#leaseMs = positiveInteger("leaseMs", options.leaseMs ?? DEFAULT_LEASE_MS);
    this.#ttlMs = positiveInteger("ttlMs", options.ttlMs ?? DEFAULT_DONE_TTL_MS);
    this.#fenceMarginMs = options.fenceMarginMs ?? DEFAULT_FENCE_MARGIN_MS;
    this.#replicas = nonNegativeInteger("replicas", options.replicas ?? 0);
    this.#replicaWaitMs = positiveInteger("replicaWaitMs", options.replicaWaitMs ?? DEFAULT_REPLICA_WAIT_MS);
    this.#incarnations = incarnationsOf(redis);
    this.#clock = redisClockOf(redis);
  }

  /**
   * Resolves once the store has read the Redis processes it talks to (when each was first seen,
   * and its clock), or given up on those that do not answer. A worker waits for it before it takes
   * requests: a tenant's epoch is then no later than the worker's start, so a request sent to a
   * worker that is up is never refused as sent before the store's memory began (a Redis younger
   * than a second otherwise gets the whole-second bound, later than the request).
   */
  async settled(): Promise<void> {
    await Promise.all([this.#incarnations.settled(), this.#clock.settled()]);
  }

  /**
   * From when the store remembers `tenant`'s records (epoch ms, Redis's clock): a request sent
   * before it whose record is missing is "forgotten". Written at the tenant's first claim: no
   * earlier than the start of the Redis process that holds the tenant's slot, and no later than
   * when this client first saw that process (see lua/tenant-epoch.lua).
   */
  async epoch(tenant: string): Promise<number> {
    const key = this.#epochKey(tenant);
    await this.#incarnations.settled();
    const value = await callRedis(this.#redis, "idempotency epoch", () => this.#commands.cvIdemEpoch(key, this.#incarnations.hint()));
    return Number(value);
  }

  /**
   * Claims the request id, or reports the earlier request's state. A claim that times out is sent
   * again with the same token: if the first one did run, the record is already this caller's.
   */
  async claim(scope: IdempotencyScope, requestId: string, fingerprint: string, options: ClaimOptions = {}): Promise<ClaimResult> {
    const result = await this.#claim(scope, requestId, fingerprint, options, undefined);
    if (result.state === "limited") throw new Error("idem-claim.lua answered \"limited\", which only idem-claim-limited.lua does");
    return result;
  }

  /**
   * Charges `limits` (all-or-nothing) and then claims the request id, in one atomic round trip
   * (lua/idem-claim-limited.lua): "limited" when a limit refused, and then nothing was consumed or claimed.
   * Replays, pending duplicates and mismatches are charged like any request; a duplicate's polls
   * (awaitResult) use claim() and are not. Every key must share the claim's slot in a Redis
   * Cluster (the tenant's hash tag; LimitedClaims sends other tenants' limits on their own).
   * Retried after a timeout as claim() is. The retry is not charged again when the first attempt
   * claimed the record (the script sees this token's pending record), but is when the first one
   * ran and found the request done, pending or mismatched: its reply was lost, so one request may
   * then be charged twice, never less than once.
   */
  async claimWithLimits(scope: IdempotencyScope, requestId: string, fingerprint: string, limits: KeyedLimits, options: ClaimOptions = {}): Promise<LimitedClaimResult> {
    return this.#claim(scope, requestId, fingerprint, options, limits);
  }

  async #claim(scope: IdempotencyScope, requestId: string, fingerprint: string, options: ClaimOptions, limits: KeyedLimits | undefined): Promise<LimitedClaimResult> {
    const key = this.#key(scope, requestId);
    if (fingerprint === "") throw new RangeError("idempotency fingerprint must not be empty");
    const epochKey = this.#epochKey(scope.tenant);
    const token = randomUUID();
    // The guard's timeout may wait up to twice its time (a stalled event loop; command-timeout.ts).
    const timeoutMs = 2 * commandTimeoutOf(this.#redis);
    // Without a client time there is no fence (a request "from the far future"). client_time_ms is
    // the requester's clock, compared with the epoch on Redis's clock (fenceMarginMs allows for
    // requesters ahead of Redis): the worker's clock is not involved, so it is sent as it is.
    const clientTimeMs = options.clientTimeMs ?? Number.MAX_SAFE_INTEGER;
    const what = limits === undefined ? `idempotency claim of ${requestId}` : `rate limits and idempotency claim of ${requestId}`;
    // Right after a (re)connection: learn when the Redis process was first seen, for its epoch,
    // and read its clock, for the not-after.
    await Promise.all([this.#incarnations.settled(), this.#clock.settled()]);
    let reply: Buffer[] | undefined;
    for (let attempt = 1; reply === undefined; attempt += 1) {
      // On Redis's clock, which the script compares it with; never this worker's (redis-clock.ts).
      const notAfterMs = Math.ceil(this.#clock.now(key)) + timeoutMs + LATE_COMMAND_ALLOWANCE_MS;
      const claimArgs = [token, fingerprint, this.#leaseMs, notAfterMs, clientTimeMs, this.#fenceMarginMs, this.#incarnations.hint()] as const;
      const sentMs = performance.now();
      let failure: unknown;
      try {
        const answer = await callRedis(this.#redis, what, () => this.#send(what, key, epochKey, claimArgs, limits));
        if (answer[0]?.toString("latin1") === "stale") failure = await this.#stale(what, key, performance.now() - sentMs, timeoutMs);
        else reply = answer;
      } catch (error) {
        failure = error;
      }
      if (reply !== undefined) break;
      // A timeout or a stale answer changed nothing, or changed only what this token owns: another
      // attempt with a new not-after is as safe as the first.
      if (attempt >= CLAIM_ATTEMPTS || this.#redis.status !== "ready" || !(isTimeout(failure) || isClockSkew(failure))) {
        // A claim that ran after all is this token's orphan: let it go once Redis answers.
        this.#abandon(key, token);
        throw failure;
      }
    }
    const state = reply[0]?.toString("latin1");
    switch (state) {
      case "claimed":
        return { state, token };
      case "done":
        return { state, reply: new Uint8Array(reply[1] ?? Buffer.alloc(0)) };
      case "pending":
      case "mismatch":
        return { state };
      case "forgotten":
        return { state, epochMs: Number(reply[1]?.toString("latin1")) };
      case "limited":
        if (limits === undefined) break;
        return { state, decision: refusal(limits, Number(reply[1]?.toString("latin1")), Number(reply[2]?.toString("latin1")), Number(reply[3]?.toString("latin1"))) };
      default:
        break;
    }
    // A reply of no known shape (seen while a Redis Cluster primary failed over): whether the
    // claim was written is unknown, so it is let go like a claim that timed out, and the caller
    // retries instead of being refused for good.
    this.#abandon(key, token);
    throw new CredvendError("CV_ERR_REDIS_UNAVAILABLE",
      `${what} failed: ${limits === undefined ? "idem-claim.lua" : "idem-claim-limited.lua"} on ${redisAddress(this.#redis)} answered ${JSON.stringify(state)}, not a claim state; retry later`,
      { retryAfterMs: REDIS_RETRY_AFTER_MS });
  }

  /**
   * "stale": the command ran on Redis after its not-after and changed nothing. Redis answered
   * within `elapsedMs` of the send, so it ran no later than that: unless that is about the
   * caller's whole timeout (a paused Redis, a stalled event loop: a late command, as a timeout
   * reports it), Redis's clock ran ahead of this client's reading of it by more than the
   * allowance, and the error says so. Either way the clock is read again for the next attempt.
   */
  async #stale(what: string, key: string, elapsedMs: number, timeoutMs: number): Promise<Error> {
    const correctionMs = await this.#clock.remeasure(key);
    if (elapsedMs >= timeoutMs) return redisUnavailable(this.#redis, what, new Error(COMMAND_TIMED_OUT));
    const node = nodeOfKey(this.#redis, key);
    const address = node === undefined ? redisAddress(this.#redis) : serverAddress(this.#redis, node);
    const offsetMs = this.#clock.offsetMs(key);
    const skew = new RedisClockSkewError(address, offsetMs, correctionMs);
    return new CredvendError("CV_ERR_REDIS_UNAVAILABLE",
      `${what} failed: Redis at ${address} answered in ${Math.round(elapsedMs)} ms but refused it as sent too long ago: its clock ran ahead of this worker's reading of it`
      + `${correctionMs === undefined ? "" : ` by ${Math.round(correctionMs)} ms`}${offsetMs === undefined ? "" : ` (${workerClockVsRedis(offsetMs)})`}; `
      + "Redis is up: keep the clocks of the Redis servers and workers in sync (chrony or NTP); retry later",
      { retryAfterMs: REDIS_RETRY_AFTER_MS, cause: skew });
  }

  /** One claim attempt: idem-claim.lua, or idem-claim-limited.lua with limits; followed by WAIT when replicas must have it. */
  #send(what: string, key: string, epochKey: string, claimArgs: readonly [string, string, number, number, number, number, string], limits: KeyedLimits | undefined): Promise<Buffer[]> {
    if (limits === undefined) {
      return this.#replicas === 0
        ? this.#commands.cvIdemClaimBuffer(key, epochKey, ...claimArgs)
        : this.#replicated<Buffer[]>("cvIdemClaim", [key, epochKey], claimArgs, what);
    }
    return this.#replicas === 0
      ? this.#commands.cvIdemClaimLimitedBuffer(2 + limits.keys.length, key, epochKey, ...limits.keys, ...claimArgs, ...limits.args)
      : this.#replicated<Buffer[]>("cvIdemClaimLimited", [key, epochKey, ...limits.keys], [...claimArgs, ...limits.args], what);
  }

  /** Releases, in the background and while a lease lasts, a claim whose command may have run late. */
  #abandon(key: string, token: string): void {
    const until = Date.now() + this.#leaseMs;
    const tryRelease = (): void => {
      if (Date.now() > until) return;
      this.#commands.cvIdemRelease(key, token).catch(() => setTimeout(tryRelease, 200).unref());
    };
    setTimeout(tryRelease, 200).unref();
  }

  /** Stores the final reply if `token` still owns the claim; false if the claim was lost (lease expired). */
  /**
   * With `fingerprint`, a record that is gone (lease lapsed while Redis was unreachable, data
   * lost) is written as done too: nobody holds a claim on it, and a retry must replay this reply.
   */
  async complete(scope: IdempotencyScope, requestId: string, token: string, reply: Uint8Array, ttlMs?: number, fingerprint = ""): Promise<boolean> {
    const key = this.#key(scope, requestId);
    const bytes = Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
    // A caller may keep a record for less than the store's TTL (a reply whose credentials expire
    // sooner), never for more.
    const keepMs = Math.max(1, Math.min(ttlMs ?? this.#ttlMs, this.#ttlMs));
    const what = `idempotency completion of ${requestId}`;
    const stored = await callRedis(this.#redis, what, () =>
      this.#replicas === 0
        ? this.#commands.cvIdemComplete(key, token, bytes, keepMs, fingerprint)
        : this.#replicated<number>("cvIdemComplete", [key], [token, bytes, keepMs, fingerprint], what),
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
      const result = await this.claim(scope, requestId, fingerprint, options.clientTimeMs === undefined ? {} : { clientTimeMs: options.clientTimeMs });
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

  /** The script, then WAIT for the configured replicas, in one round trip on one connection (replicated-script.ts). */
  async #replicated<T>(name: "cvIdemClaim" | "cvIdemClaimLimited" | "cvIdemComplete", keys: readonly string[], args: readonly (string | number | Buffer)[], what: string): Promise<T> {
    return await runReplicated(this.#redis, name, keys, args, { replicas: this.#replicas, timeoutMs: this.#replicaWaitMs }, what) as T;
  }

  // In the tenant's slot (same hash tag as its records): a claim touches both in one script.
  #epochKey(tenant: string): string {
    if (!isValidName(tenant)) throw new RangeError(`invalid tenant ${JSON.stringify(tenant)}`);
    return `${this.#prefix}:{${tenant}}:epoch`;
  }

  #key(scope: IdempotencyScope, requestId: string): string {
    if (!isValidName(scope.tenant)) throw new RangeError(`invalid tenant ${JSON.stringify(scope.tenant)}`);
    if (!isValidName(scope.principal)) throw new RangeError(`invalid principal ${JSON.stringify(scope.principal)}`);
    if (!isValidRequestId(requestId)) throw new RangeError(`invalid request id ${JSON.stringify(requestId)}`);
    return `${this.#prefix}:{${scope.tenant}}:${scope.principal}:${requestId}`;
  }
}

// ioredis rejects a timed-out command with a plain Error (no name or code of its own).
function isTimeout(error: unknown): boolean {
  const cause = error instanceof Error ? error.cause : undefined;
  return cause instanceof Error && /timed? ?out/i.test(cause.message);
}

function isClockSkew(error: unknown): boolean {
  return error instanceof Error && error.cause instanceof RedisClockSkewError;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`IdempotencyStore ${name} must be a whole number >= 0, got ${value}`);
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`IdempotencyStore ${name} must be a positive integer, got ${value}`);
  return value;
}
