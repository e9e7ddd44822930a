// Fault injection, keyed by "<service>:<Operation>" ("sts:AssumeRole", "kms:Decrypt"), with
// "<service>:*" and "*" as wildcards (the most specific key wins). Three kinds:
//   latencyMs  - added delay before the operation runs
//   throttle   - token bucket (ratePerSecond, burst); an empty bucket answers the service's
//                throttling error, which the SDKs retry
//   errors     - the next `count` calls answer {code, status, message}
// Rates use wall time: throttling models real request rates, not emulated time.
import { AwsError } from "../types.js";

export interface ThrottleRule {
  readonly ratePerSecond: number;
  /** Bucket size; defaults to max(1, ratePerSecond). */
  readonly burst?: number;
}

export interface ErrorRule {
  readonly operation: string;
  readonly code: string;
  readonly status?: number;
  /** How many calls to fail (default 1). */
  readonly count?: number;
  readonly message?: string;
}

export interface FaultConfig {
  readonly latencyMs?: Readonly<Record<string, number>>;
  readonly throttle?: Readonly<Record<string, ThrottleRule>>;
  readonly errors?: readonly ErrorRule[];
}

/** What the admin path reports: the rules plus what is left of each error rule. */
export interface FaultState {
  readonly latencyMs: Readonly<Record<string, number>>;
  readonly throttle: Readonly<Record<string, ThrottleRule>>;
  readonly errors: readonly (ErrorRule & { readonly remaining: number })[];
}

export interface Faults {
  /** Applies latency, throttling and injected errors for one call; throws AwsError to fail it. */
  apply(service: "sts" | "kms" | "iam", operation: string): Promise<void>;
  set(config: FaultConfig): void;
  clear(): void;
  state(): FaultState;
}

const THROTTLE_SPELLING = {
  sts: ["Throttling", "Rate exceeded"],
  iam: ["Throttling", "Rate exceeded"],
  kms: ["ThrottlingException", "Rate exceeded"],
} as const;

export function validateFaultConfig(value: unknown): FaultConfig {
  const fail = (msg: string): never => {
    throw new Error(`invalid fault config: ${msg}`);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("expected an object");
  const v = value as Record<string, unknown>;
  for (const key of Object.keys(v)) {
    if (!["latencyMs", "throttle", "errors"].includes(key)) fail(`unknown field "${key}" (use latencyMs, throttle, errors)`);
  }
  const latency = v["latencyMs"] ?? {};
  if (typeof latency !== "object" || latency === null) fail("latencyMs must map operations to milliseconds");
  for (const [op, ms] of Object.entries(latency as object)) {
    if (typeof ms !== "number" || ms < 0 || ms > 600_000) fail(`latencyMs["${op}"] must be 0..600000 (got ${JSON.stringify(ms)})`);
  }
  const throttle = v["throttle"] ?? {};
  if (typeof throttle !== "object" || throttle === null) fail("throttle must map operations to {ratePerSecond, burst}");
  for (const [op, rule] of Object.entries(throttle as object)) {
    const r = rule as Record<string, unknown>;
    if (typeof r?.["ratePerSecond"] !== "number" || r["ratePerSecond"] < 0) fail(`throttle["${op}"].ratePerSecond must be a number >= 0`);
    if (r["burst"] !== undefined && (typeof r["burst"] !== "number" || r["burst"] < 0)) fail(`throttle["${op}"].burst must be >= 0`);
  }
  const errors = v["errors"] ?? [];
  if (!Array.isArray(errors)) fail("errors must be a list of {operation, code, status, count}");
  (errors as unknown[]).forEach((e, i) => {
    const r = e as Record<string, unknown>;
    if (typeof r?.["operation"] !== "string" || typeof r["code"] !== "string") fail(`errors[${i}] needs operation and code strings`);
    // The code is also sent as the x-amzn-errortype header: a CR/LF or non-ASCII character made
    // writeHead throw and the connection drop with no reply.
    if (!/^[A-Za-z][\w.:#-]{0,127}$/.test(r["code"] as string)) fail(`errors[${i}].code must look like an AWS error code (e.g. ThrottlingException)`);
    if (r["status"] !== undefined && (typeof r["status"] !== "number" || r["status"] < 400 || r["status"] > 599)) {
      fail(`errors[${i}].status must be 400..599`);
    }
    if (r["count"] !== undefined && (typeof r["count"] !== "number" || r["count"] < 1)) fail(`errors[${i}].count must be >= 1`);
  });
  return value as FaultConfig;
}

export function createFaults(wallNow: () => number = Date.now): Faults {
  let latency: Record<string, number> = {};
  let throttle: Record<string, ThrottleRule> = {};
  let buckets = new Map<string, { tokens: number; at: number }>();
  let errors: (ErrorRule & { remaining: number })[] = [];

  const lookup = <T>(table: Record<string, T>, service: string, op: string): [string, T] | undefined => {
    for (const key of [`${service}:${op}`, `${service}:*`, "*"]) {
      const hit = table[key];
      if (hit !== undefined) return [key, hit];
    }
    return undefined;
  };

  return {
    async apply(service, op) {
      const delay = lookup(latency, service, op);
      if (delay !== undefined && delay[1] > 0) await new Promise((r) => setTimeout(r, delay[1]));
      const rule = lookup(throttle, service, op);
      if (rule !== undefined) {
        const [key, { ratePerSecond, burst }] = rule;
        const size = burst ?? Math.max(1, ratePerSecond);
        const now = wallNow();
        const bucket = buckets.get(key) ?? { tokens: size, at: now };
        bucket.tokens = Math.min(size, bucket.tokens + ((now - bucket.at) / 1000) * ratePerSecond);
        bucket.at = now;
        buckets.set(key, bucket);
        if (bucket.tokens < 1) {
          const [code, message] = THROTTLE_SPELLING[service];
          throw new AwsError(code, message, 400);
        }
        bucket.tokens -= 1;
      }
      const injected = errors.find(
        (e) => e.remaining > 0 && (e.operation === `${service}:${op}` || e.operation === `${service}:*` || e.operation === "*"),
      );
      if (injected !== undefined) {
        injected.remaining -= 1;
        const status = injected.status ?? 400;
        throw new AwsError(injected.code, injected.message ?? `Injected fault (aws-local): ${injected.code}`, status);
      }
    },
    set(config) {
      latency = { ...(config.latencyMs ?? {}) };
      throttle = { ...(config.throttle ?? {}) };
      buckets = new Map();
      errors = (config.errors ?? []).map((e) => ({ ...e, remaining: e.count ?? 1 }));
    },
    clear() {
      this.set({});
    },
    state: () => ({ latencyMs: { ...latency }, throttle: { ...throttle }, errors: errors.map((e) => ({ ...e })) }),
  };
}
