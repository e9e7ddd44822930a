// The IAM condition operators: how one context value compares with one policy value.
// Set qualifiers (ForAnyValue/ForAllValues), IfExists and missing keys are handled in conditions.ts.

import type { RequestContext } from "./request-context.js";
import { expandToParts, expandToString } from "./variables.js";
import { ipInCidr } from "./ip-address.js";
import { partsMatch, type PatternPart } from "./wildcard.js";

/** true/false, or null when a policy variable in the policy value could not be resolved. */
type Compare = (contextValue: string, policyValue: string, ctx: RequestContext, variables: boolean) => boolean | null;

export interface BaseOperator {
  /** The "Not" operators: satisfied when the context value matches none of the policy values. */
  readonly negated: boolean;
  readonly compare: Compare;
}

const numeric = (test: (a: number, b: number) => boolean): Compare => (value, policy, ctx, vars) => {
  const expanded = expandToString(policy, ctx, vars);
  if (expanded === null) return null;
  const a = parseNumber(value);
  const b = parseNumber(expanded);
  return a !== undefined && b !== undefined && test(a, b);
};

const date = (test: (a: number, b: number) => boolean): Compare => (value, policy, ctx, vars) => {
  const expanded = expandToString(policy, ctx, vars);
  if (expanded === null) return null;
  const a = parseDate(value);
  const b = parseDate(expanded);
  return a !== undefined && b !== undefined && test(a, b);
};

// Number() and Date.parse() accept far more than IAM's numbers and dates: "0x10" was 16,
// "1e2" 100, " 10 " 10; "March 7" or "1 2 3" parsed as dates (V8 guesses), and a zone-less ISO time
// was read in the host's local time zone. Only plain decimals, and ISO-8601 (UTC unless it names an
// offset) or epoch seconds, are accepted now; anything else never compares.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const ISO_8601 = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i;

function parseNumber(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** ISO-8601, or epoch seconds as IAM also accepts; milliseconds since the epoch. */
function parseDate(text: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const iso = ISO_8601.exec(text);
  if (iso === null) return undefined;
  const [, day, time, zone] = iso;
  const offset = zone === undefined ? "Z" : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(time === undefined ? `${day}T00:00:00Z` : `${day}T${time}${offset}`);
  return Number.isNaN(ms) ? undefined : ms;
}

const stringEquals: Compare = (value, policy, ctx, vars) => {
  const expanded = expandToString(policy, ctx, vars);
  return expanded === null ? null : expanded === value;
};

const stringEqualsIgnoreCase: Compare = (value, policy, ctx, vars) => {
  const expanded = expandToString(policy, ctx, vars);
  return expanded === null ? null : expanded.toLowerCase() === value.toLowerCase();
};

const stringLike: Compare = (value, policy, ctx, vars) => {
  const parts = expandToParts(policy, ctx, vars);
  return parts === null ? null : partsMatch(parts, value, false);
};

const bool: Compare = (value, policy, ctx, vars) => {
  const expanded = expandToString(policy, ctx, vars);
  return expanded === null ? null : expanded.toLowerCase() === value.toLowerCase();
};

/** ArnLike/ArnEquals: each of the six colon-separated ARN parts is matched on its own, case-sensitively. */
const arnLike: Compare = (value, policy, ctx, vars) => {
  const parts = expandToParts(policy, ctx, vars);
  if (parts === null) return null;
  const patternSegments = splitArnPattern(parts);
  const valueSegments = splitArn(value);
  if (patternSegments.length === 1) return partsMatch(patternSegments[0] ?? [], value, false);
  if (valueSegments.length !== 6 || patternSegments.length !== 6) return false;
  return patternSegments.every((segment, i) => partsMatch(segment, valueSegments[i] ?? "", false));
};

function splitArn(arn: string): string[] {
  const pieces = arn.split(":");
  if (pieces.length < 6) return pieces;
  return [...pieces.slice(0, 5), pieces.slice(5).join(":")];
}

function splitArnPattern(parts: readonly PatternPart[]): PatternPart[][] {
  const segments: PatternPart[][] = [[]];
  for (const part of parts) {
    if (part.literal) {
      segments[segments.length - 1]?.push(part);
      continue;
    }
    const pieces = part.text.split(":");
    pieces.forEach((piece, i) => {
      if (i > 0) {
        // Colons after the fifth belong to the resource part.
        if (segments.length < 6) segments.push([]);
        else segments[5]?.push({ text: ":", literal: true });
      }
      if (piece !== "") segments[segments.length - 1]?.push({ text: piece, literal: false });
    });
  }
  return segments;
}

const binaryEquals: Compare = (value, policy) => value === policy;

/** No policy variables: IAM expands them in string and ARN comparisons only. */
const ipAddress: Compare = (value, policy) => ipInCidr(value, policy);

const op = (compare: Compare, negated = false): BaseOperator => ({ compare, negated });

/** Lower-cased operator name (without qualifiers) -> operator. `Null` is special-cased in conditions.ts. */
export const BASE_OPERATORS: ReadonlyMap<string, BaseOperator> = new Map([
  ["stringequals", op(stringEquals)],
  ["stringnotequals", op(stringEquals, true)],
  ["stringequalsignorecase", op(stringEqualsIgnoreCase)],
  ["stringnotequalsignorecase", op(stringEqualsIgnoreCase, true)],
  ["stringlike", op(stringLike)],
  ["stringnotlike", op(stringLike, true)],
  ["numericequals", op(numeric((a, b) => a === b))],
  ["numericnotequals", op(numeric((a, b) => a === b), true)],
  ["numericlessthan", op(numeric((a, b) => a < b))],
  ["numericlessthanequals", op(numeric((a, b) => a <= b))],
  ["numericgreaterthan", op(numeric((a, b) => a > b))],
  ["numericgreaterthanequals", op(numeric((a, b) => a >= b))],
  ["dateequals", op(date((a, b) => a === b))],
  ["datenotequals", op(date((a, b) => a === b), true)],
  ["datelessthan", op(date((a, b) => a < b))],
  ["datelessthanequals", op(date((a, b) => a <= b))],
  ["dategreaterthan", op(date((a, b) => a > b))],
  ["dategreaterthanequals", op(date((a, b) => a >= b))],
  ["bool", op(bool)],
  ["binaryequals", op(binaryEquals)],
  ["arnequals", op(arnLike)],
  ["arnlike", op(arnLike)],
  ["arnnotequals", op(arnLike, true)],
  ["arnnotlike", op(arnLike, true)],
  // Missing, a policy with "IpAddress" / "NotIpAddress" (aws:SourceIp) was refused as malformed.
  ["ipaddress", op(ipAddress)],
  ["notipaddress", op(ipAddress, true)],
]);
