// What `credvend audit tail` reads: the subject filter of --tenant/--principal and the start time
// of --since. Pure functions, so their errors (which name the flag) are unit tested.
import { isValidName } from "@credvend/protocol";
import { AUDIT_PREFIX } from "@credvend/worker";
import { UsageError } from "./args.js";

const UNITS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `credvend.v1.audit.<tenant|*>.<principal|*>`; names are checked so a flag can not widen the filter. */
export function auditFilter(tenant: string | undefined, principal: string | undefined): string {
  for (const [flag, value] of [["tenant", tenant], ["principal", principal]] as const) {
    if (value !== undefined && !isValidName(value)) throw new UsageError(`--${flag} ${JSON.stringify(value)} is not a valid name (1-64 of a-z, 0-9, '-' and '_', starting with a letter or digit)`);
  }
  return `${AUDIT_PREFIX}.${tenant ?? "*"}.${principal ?? "*"}`;
}

/** --since: a duration back from now (90s, 15m, 2h, 7d) or an ISO 8601 time; undefined: from the start. */
export function sinceTime(value: string | undefined, now: number): Date | undefined {
  if (value === undefined) return undefined;
  const duration = /^(\d+)([smhd])$/.exec(value);
  if (duration) return new Date(now - Number(duration[1]) * (UNITS[duration[2] ?? "s"] ?? 1000));
  const time = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) throw new UsageError(`--since ${JSON.stringify(value)} must be a duration (90s, 15m, 2h, 7d) or an ISO 8601 time (2026-01-31T12:00:00Z)`);
  return new Date(time);
}
