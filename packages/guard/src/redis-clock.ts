// Redis's clock as this client reads it. A claim's not-after is compared with Redis TIME inside
// the script (lua/idem-claim.lua), so it must be written on Redis's clock: on this worker's, a
// worker clock 1.5 s behind Redis's had every claim refused as stale, and one ahead let a command
// that ran late (Redis paused, then resumed) still claim and charge limits.
//
// Each TIME reading is anchored to this process's monotonic clock (performance.now), so the
// estimate does not depend on the worker's wall clock at all, nor on NTP stepping it. Readings are
// taken at each connection ready (a reconnect may reach another process), every CLOCK_REFRESH_MS,
// and again when a claim finds Redis's clock ahead of the estimate (remeasure). The offset to the
// worker's wall clock (Date.now) is only reported: past CLOCK_SKEW_WARNING_MS once per
// connection, and in redisWarnings for readiness.
import type { Redis as SingleRedis } from "ioredis";
import { commandTimeoutOf, replyWithin } from "./command-timeout.js";
import type { Redis } from "./connection.js";
import { nodeOfKey, sendAlone, serverAddress, serverNodes, watchNodes } from "./server-nodes.js";

/** Redis's clock and this worker's may differ by this much before it is reported (the README asks for clocks within 1 s). */
export const CLOCK_SKEW_WARNING_MS = 1000;
const CLOCK_REFRESH_MS = 30_000;
/**
 * A periodic reading replaces the one held only when its round trip is about as short, or the one
 * held is this old: under load a TIME reply waits behind the event loop, and its midpoint then
 * misplaces Redis's clock by up to half the wait (the clocks themselves drift by microseconds).
 */
const READING_MAX_AGE_MS = 10 * 60_000;
const ROUND_TRIP_SLACK_MS = 5;

/** Called once per connection whose Redis clock is more than CLOCK_SKEW_WARNING_MS off this worker's. */
export type ClockSkewReport = (address: string, offsetMs: number) => void;

interface Reading {
  /** Redis's TIME in ms. */
  readonly redisMs: number;
  /** performance.now() halfway between sending TIME and reading its reply. */
  readonly atMs: number;
  /** How long that round trip took: the reading is off by at most half of it. */
  readonly roundTripMs: number;
}

export class RedisClock {
  readonly #redis: Redis;
  readonly #timeoutMs: number;
  readonly #readings = new Map<SingleRedis, Reading>();
  readonly #measuring = new Map<SingleRedis, Promise<void>>();
  /** Connections whose skew was reported since they became ready. */
  readonly #reported = new WeakSet<SingleRedis>();
  #report: ClockSkewReport | undefined;

  constructor(redis: Redis, report?: ClockSkewReport) {
    this.#redis = redis;
    this.#timeoutMs = commandTimeoutOf(redis);
    this.#report = report;
    watchNodes(redis, {
      ready: (node) => {
        // A new connection may reach another Redis process: its reading replaces whatever was held.
        this.#reported.delete(node);
        this.#readings.delete(node);
        void this.#measure(node);
      },
      periodic: { everyMs: CLOCK_REFRESH_MS, run: (node) => void this.#measure(node, "if better") },
      removed: (node) => this.#readings.delete(node),
    });
  }

  /** Reports skew from now on (createRedis passes its logger; a store may have made the clock first). */
  reportTo(report: ClockSkewReport): void {
    this.#report ??= report;
  }

  /** Resolves once the readings under way are in; connections never read yet are read now. */
  async settled(): Promise<void> {
    for (const node of serverNodes(this.#redis)) if (node.status === "ready" && !this.#readings.has(node)) void this.#measure(node);
    if (this.#measuring.size > 0) await Promise.all(this.#measuring.values());
  }

  /**
   * Redis's clock (epoch ms) now on the server that holds `key`. This worker's clock until that
   * server was read once (the estimate before the guard measured Redis's clock).
   */
  now(key: string): number {
    const reading = this.#readingFor(key);
    return reading === undefined ? Date.now() : estimate(reading);
  }

  /** Redis's clock minus this worker's (ms; positive: Redis is ahead) on the server of `key`, if it was read. */
  offsetMs(key: string): number | undefined {
    const reading = this.#readingFor(key);
    return reading === undefined ? undefined : estimate(reading) - Date.now();
  }

  /** Each read server's offset (as offsetMs), for readiness. */
  offsets(): { address: string; offsetMs: number }[] {
    return [...this.#readings].map(([node, reading]) => ({ address: serverAddress(this.#redis, node), offsetMs: estimate(reading) - Date.now() }));
  }

  /**
   * Reads the clock of the server of `key` again; resolves with how far the earlier estimate was
   * behind it (ms; negative: ahead), undefined when there was no estimate or no answer.
   */
  async remeasure(key: string): Promise<number | undefined> {
    const node = nodeOfKey(this.#redis, key);
    if (node === undefined) return undefined;
    const before = this.#readings.get(node);
    await this.#measure(node, "always");
    const after = this.#readings.get(node);
    if (before === undefined || after === undefined || after === before) return undefined;
    // Both estimates at the same instant.
    return (after.redisMs - after.atMs) - (before.redisMs - before.atMs);
  }

  #readingFor(key: string): Reading | undefined {
    const node = nodeOfKey(this.#redis, key);
    const own = node === undefined ? undefined : this.#readings.get(node);
    if (own !== undefined || !this.#redis.isCluster) return own;
    // A cluster slot whose primary is not known yet: the latest reading of any node.
    let latest: Reading | undefined;
    for (const reading of this.#readings.values()) if (latest === undefined || reading.atMs > latest.atMs) latest = reading;
    return latest;
  }

  /** Reads the clock of `node`; "if better": keeps the reading held unless the new one is about as precise, or the held one is old. */
  #measure(node: SingleRedis, replace: "always" | "if better" = "always"): Promise<void> {
    const running = this.#measuring.get(node);
    if (running !== undefined) return running;
    const measuring = (async () => {
      const sentMs = performance.now();
      const time = await replyWithin(sendAlone(node, "time") as Promise<[string, string]>, this.#timeoutMs).catch(() => undefined);
      const receivedMs = performance.now();
      if (time === undefined) return;
      const reading: Reading = { redisMs: Number(time[0]) * 1000 + Number(time[1]) / 1000, atMs: (sentMs + receivedMs) / 2, roundTripMs: receivedMs - sentMs };
      const held = this.#readings.get(node);
      if (replace === "if better" && held !== undefined && reading.roundTripMs > held.roundTripMs + ROUND_TRIP_SLACK_MS && reading.atMs - held.atMs < READING_MAX_AGE_MS) return;
      this.#readings.set(node, reading);
      const offsetMs = estimate(reading) - Date.now();
      if (Math.abs(offsetMs) > CLOCK_SKEW_WARNING_MS && !this.#reported.has(node) && this.#report !== undefined) {
        this.#reported.add(node);
        this.#report(serverAddress(this.#redis, node), Math.round(offsetMs));
      }
    })().finally(() => this.#measuring.delete(node));
    this.#measuring.set(node, measuring);
    return measuring;
  }
}

function estimate(reading: Reading): number {
  return reading.redisMs + (performance.now() - reading.atMs);
}

/**
 * A claim refused as stale by a Redis whose clock is ahead of this client's reading of it (the
 * `cause` of the CV_ERR_REDIS_UNAVAILABLE that reports it): the clocks need syncing, Redis is not down.
 */
export class RedisClockSkewError extends Error {
  override readonly name = "RedisClockSkewError";

  constructor(
    readonly address: string,
    /** Redis's clock minus this worker's (ms; positive: Redis is ahead), as just read; undefined if unread. */
    readonly offsetMs: number | undefined,
    /** How far Redis's clock was ahead of this client's estimate of it (ms), undefined if it could not be read again. */
    readonly correctionMs: number | undefined,
  ) {
    super(`Redis's clock at ${address} ${correctionMs === undefined ? "is ahead of this client's reading of it" : `ran ${Math.round(correctionMs)} ms ahead of this client's reading of it`}${offsetMs === undefined ? "" : ` (${workerClockVsRedis(offsetMs)})`}`);
  }
}

/** "this worker's clock is 1600 ms behind Redis's" for an offset (Redis's clock minus the worker's) of 1600. */
export function workerClockVsRedis(offsetMs: number): string {
  return `this worker's clock is ${Math.abs(Math.round(offsetMs))} ms ${offsetMs > 0 ? "behind" : "ahead of"} Redis's`;
}

const byClient = new WeakMap<Redis, RedisClock>();

/** One clock per client, shared by every store on it. */
export function redisClockOf(redis: Redis): RedisClock {
  let clock = byClient.get(redis);
  if (!clock) {
    clock = new RedisClock(redis);
    byClient.set(redis, clock);
  }
  return clock;
}
