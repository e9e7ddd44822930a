import fs from "node:fs";
import type { Redis } from "./connection.js";

// Lua sources live in packages/guard/lua (outside src, so tsc leaves them alone) and are read
// once at module load, relative to this compiled file in dist/.
function load(name: string): string {
  return fs.readFileSync(new URL(`../lua/${name}`, import.meta.url), "utf8");
}

// Lua has no imports: a script that needs the tenant epoch gets its definition in front.
const withTenantEpoch = (name: string): string => `${load("tenant-epoch.lua")}\n${load(name)}`;

const SCRIPTS = {
  cvGcra: { lua: load("gcra.lua") },
  cvIdemClaim: { lua: withTenantEpoch("idem-claim.lua"), numberOfKeys: 2 },
  cvIdemEpoch: { lua: withTenantEpoch("idem-epoch.lua"), numberOfKeys: 1 },
  cvIdemComplete: { lua: load("idem-complete.lua"), numberOfKeys: 1 },
  cvIdemRelease: { lua: load("idem-release.lua"), numberOfKeys: 1 },
  cvIdemRenew: { lua: load("idem-renew.lua"), numberOfKeys: 1 },
  cvReuseOwner: { lua: load("reuse-owner.lua"), numberOfKeys: 1 },
} as const;

/** The commands defineCommand adds (EVALSHA, falling back to EVAL after NOSCRIPT, e.g. after a restart). */
export interface GuardCommands {
  /** numKeys, keys..., quantity, (intervalUs, burst)... → [allowed, retryAfterUs, limitedBy, remaining] */
  cvGcra(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<[number, number, number, number]>;
  /** Buffer variant: the "done" reply is binary. */
  cvIdemClaimBuffer(key: string, epochKey: string, token: string, fingerprint: string, leaseMs: number, notAfterMs: number, clientTimeMs: number, fenceMarginMs: number, seen: string): Promise<Buffer[]>;
  cvIdemEpoch(epochKey: string, seen: string): Promise<string>;
  cvIdemComplete(key: string, token: string, reply: Buffer, ttlMs: number, fingerprint: string): Promise<number>;
  cvIdemRelease(key: string, token: string): Promise<number>;
  cvIdemRenew(key: string, token: string, leaseMs: number): Promise<number>;
  /** "" when `self` owns the session now, else the owner's worker id. */
  cvReuseOwner(key: string, self: string, holdMs: number, displace: string): Promise<string>;
}

/**
 * A pipeline of guard scripts followed by WAIT: one round trip to the node that holds the keys
 * (a keyless WAIT goes where the pipeline's keyed commands go, also in a cluster).
 */
export interface GuardPipeline {
  cvIdemClaimBuffer(...args: Parameters<GuardCommands["cvIdemClaimBuffer"]>): GuardPipeline;
  cvIdemComplete(...args: Parameters<GuardCommands["cvIdemComplete"]>): GuardPipeline;
  wait(numReplicas: number, timeoutMs: number): GuardPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
}

export function guardPipeline(redis: Redis): GuardPipeline {
  guardCommands(redis);
  return redis.pipeline() as unknown as GuardPipeline;
}

/** Defines the guard scripts on `redis` (once per client) and returns it typed with them. */
export function guardCommands(redis: Redis): GuardCommands {
  for (const [name, definition] of Object.entries(SCRIPTS)) if (!(name in redis)) redis.defineCommand(name, definition);
  return redis as unknown as GuardCommands;
}
