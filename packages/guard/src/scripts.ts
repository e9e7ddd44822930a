import { createHash } from "node:crypto";
import fs from "node:fs";
import type { Redis } from "./connection.js";

// Lua sources live in packages/guard/lua (outside src, so tsc leaves them alone) and are read
// once at module load, relative to this compiled file in dist/.
function load(name: string): string {
  return fs.readFileSync(new URL(`../lua/${name}`, import.meta.url), "utf8");
}

// Lua has no imports: a script gets the definitions it uses (GCRA, the claim, the tenant epoch)
// in front of it, so each rule is written once and idem-claim-limited.lua runs the same code as the others.
const withLibs = (name: string, ...libs: string[]): string => [...libs, name].map(load).join("\n");

const SCRIPTS = {
  cvGcra: { lua: withLibs("gcra.lua", "gcra-lib.lua") },
  cvGcraReserve: { lua: withLibs("gcra-reserve.lua", "gcra-lib.lua"), numberOfKeys: 1 },
  cvIdemClaim: { lua: withLibs("idem-claim.lua", "tenant-epoch.lua", "idem-claim-lib.lua"), numberOfKeys: 2 },
  // The number of keys varies with the request's limits: it is the first argument.
  cvIdemClaimLimited: { lua: withLibs("idem-claim-limited.lua", "tenant-epoch.lua", "idem-claim-lib.lua", "gcra-lib.lua") },
  cvIdemEpoch: { lua: withLibs("idem-epoch.lua", "tenant-epoch.lua"), numberOfKeys: 1 },
  cvIdemComplete: { lua: load("idem-complete.lua"), numberOfKeys: 1 },
  cvIdemRelease: { lua: load("idem-release.lua"), numberOfKeys: 1 },
  cvIdemRenew: { lua: load("idem-renew.lua"), numberOfKeys: 1 },
  cvReuseOwner: { lua: load("reuse-owner.lua"), numberOfKeys: 1 },
} as const;

/** The commands defineCommand adds (EVALSHA, falling back to EVAL after NOSCRIPT, e.g. after a restart). */
export interface GuardCommands {
  /** numKeys, keys..., quantity, (intervalUs, burst)... → [allowed, retryAfterUs, limitedBy, remaining] */
  cvGcra(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<[number, number, number, number]>;
  /** key, quantity, intervalUs, burst, maxWaitUs → [reserved, waitUs] (see lua/gcra-reserve.lua) */
  cvGcraReserve(key: string, quantity: number, intervalUs: number, burst: number, maxWaitUs: number): Promise<[number, number]>;
  /** Buffer variant: the "done" reply is binary. */
  cvIdemClaimBuffer(key: string, epochKey: string, token: string, fingerprint: string, leaseMs: number, notAfterMs: number, clientTimeMs: number, fenceMarginMs: number, seen: string): Promise<Buffer[]>;
  /**
   * Buffer variant ("done" carries the binary reply): numKeys, key, epochKey, limit keys..., the
   * claim's seven arguments, quantity, (intervalUs, burst)... (see lua/idem-claim-limited.lua).
   */
  cvIdemClaimLimitedBuffer(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<Buffer[]>;
  cvIdemEpoch(epochKey: string, seen: string): Promise<string>;
  cvIdemComplete(key: string, token: string, reply: Buffer, ttlMs: number, fingerprint: string): Promise<number>;
  cvIdemRelease(key: string, token: string): Promise<number>;
  cvIdemRenew(key: string, token: string, leaseMs: number): Promise<number>;
  /** "" when `self` owns the session now, else the owner's worker id. */
  cvReuseOwner(key: string, self: string, holdMs: number, displace: string): Promise<string>;
}

export type GuardScriptName = keyof typeof SCRIPTS;

/** A guard script as EVAL and EVALSHA take it; numberOfKeys undefined: its number of keys varies (idem-claim-limited.lua). */
export interface GuardScript {
  readonly lua: string;
  readonly sha: string;
  readonly numberOfKeys: number | undefined;
}

// Each script's source and SHA1, computed once at load, for callers that send EVALSHA themselves.
const GUARD_SCRIPTS = Object.fromEntries(Object.entries(SCRIPTS).map(([name, definition]: [string, { lua: string; numberOfKeys?: number }]) =>
  [name, { lua: definition.lua, sha: createHash("sha1").update(definition.lua).digest("hex"), numberOfKeys: definition.numberOfKeys }])) as Record<GuardScriptName, GuardScript>;

export function guardScript(name: GuardScriptName): GuardScript {
  return GUARD_SCRIPTS[name];
}

/** Defines the guard scripts on `redis` (once per client) and returns it typed with them. */
export function guardCommands(redis: Redis): GuardCommands {
  for (const [name, definition] of Object.entries(SCRIPTS)) if (!(name in redis)) redis.defineCommand(name, definition);
  return redis as unknown as GuardCommands;
}
