// A statement's Condition block: every operator and every key must hold (AND); the values listed
// under one key are alternatives (OR). Unknown operators never hold, so a policy IAM would reject
// can't grant anything here (validatePolicyDocument reports them up front).

import type { PolicyStatement } from "../types.js";
import { BASE_OPERATORS, type BaseOperator } from "./condition-operators.js";
import type { ContextValue, RequestContext } from "./request-context.js";

type SetQualifier = "any" | "all" | undefined;

interface ParsedOperator {
  readonly set: SetQualifier;
  readonly ifExists: boolean;
  /** undefined for `Null`. */
  readonly base: BaseOperator | undefined;
  readonly isNull: boolean;
}

// Operator names come from policies callers may write (CreateKey), so the cache is bounded: real
// policies use a handful of spellings; past the bound, names are parsed each time.
const PARSED_CACHE_MAX = 1024;
const parsedCache = new Map<string, ParsedOperator | null>();

/** Parses `ForAnyValue:StringLikeIfExists` etc.; null when IAM would not know the operator. */
export function parseOperator(name: string): ParsedOperator | null {
  const cached = parsedCache.get(name);
  if (cached !== undefined) return cached;
  let rest = name.toLowerCase();
  let set: SetQualifier;
  if (rest.startsWith("foranyvalue:")) [set, rest] = ["any", rest.slice(12)];
  else if (rest.startsWith("forallvalues:")) [set, rest] = ["all", rest.slice(13)];
  let ifExists = false;
  if (rest.endsWith("ifexists") && rest !== "ifexists") [ifExists, rest] = [true, rest.slice(0, -8)];
  let parsed: ParsedOperator | null;
  if (rest === "null") parsed = ifExists || set !== undefined ? null : { set, ifExists, base: undefined, isNull: true };
  else {
    const base = BASE_OPERATORS.get(rest);
    parsed = base === undefined ? null : { set, ifExists, base, isNull: false };
  }
  if (parsedCache.size < PARSED_CACHE_MAX) parsedCache.set(name, parsed);
  return parsed;
}

function toValues(raw: ContextValue | undefined): readonly string[] | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === "boolean") return [String(raw)];
  return typeof raw === "string" ? [raw] : raw;
}

/** One context value against the policy values: OR across policy values, inverted for "Not" operators. */
function valueSatisfies(base: BaseOperator, value: string, policyValues: readonly string[], ctx: RequestContext, vars: boolean): boolean {
  let matched = false;
  for (const policyValue of policyValues) {
    const result = base.compare(value, policyValue, ctx, vars);
    // An unresolvable variable fails the comparison in both directions (IAM: "the statement may be invalid").
    if (result === null) {
      if (base.negated) return false;
      continue;
    }
    if (result) {
      matched = true;
      break;
    }
  }
  return base.negated ? !matched : matched;
}

function keySatisfies(op: ParsedOperator, key: string, policyValues: readonly string[], ctx: RequestContext, vars: boolean): boolean {
  const values = toValues(ctx.get(key.toLowerCase()));
  if (op.isNull) {
    const absent = values === undefined || values.length === 0;
    return policyValues.some((v) => v.toLowerCase() === String(absent));
  }
  const base = op.base;
  if (base === undefined) return false;
  if (values === undefined) {
    if (op.ifExists || op.set === "all") return true;
    if (op.set === "any") return false;
    return base.negated;
  }
  if (op.set === "all") return values.every((v) => valueSatisfies(base, v, policyValues, ctx, vars));
  if (op.set === "any") return values.some((v) => valueSatisfies(base, v, policyValues, ctx, vars));
  // No qualifier on a multi-valued key: positive operators need one match, negated ones need no match.
  if (values.length === 0) return base.negated;
  return base.negated
    ? values.every((v) => valueSatisfies(base, v, policyValues, ctx, vars))
    : values.some((v) => valueSatisfies(base, v, policyValues, ctx, vars));
}

function policyValueList(raw: unknown): readonly string[] {
  if (Array.isArray(raw)) return raw.map((v) => String(v));
  return [String(raw)];
}

export function conditionsHold(condition: PolicyStatement["Condition"], ctx: RequestContext, variables: boolean): boolean {
  if (condition === undefined) return true;
  for (const [operatorName, block] of Object.entries(condition)) {
    const op = parseOperator(operatorName);
    if (op === null) return false;
    for (const [key, raw] of Object.entries(block)) {
      if (!keySatisfies(op, key, policyValueList(raw), ctx, variables)) return false;
    }
  }
  return true;
}
