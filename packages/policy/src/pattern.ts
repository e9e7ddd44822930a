// Parameter and access-rule patterns run on request values, so matching must take time linear in
// the value's length. A backtracking engine let one 27-character value stall a worker for seconds
// (`(a+)+$`), for every tenant at once. RE2 (the re2js port) guarantees linear time; the price is
// that backreferences and lookaround do not exist, and such patterns are refused at load.
import { RE2JS } from "re2js";
import { LRUCache } from "lru-cache";
import { MAX_PARAM_VALUE_CHARS } from "./limits.js";

/** Longest pattern source accepted; longer ones are config mistakes, and compile cost grows with it. */
export const MAX_PATTERN_CHARS = 1024;
/**
 * Compiled patterns kept. The key is the pattern text from the config, so every KV reload with
 * edited patterns adds keys: bounded, least recently used first out.
 */
export const PATTERN_CACHE_MAX = 512;

const cache = new LRUCache<string, RE2JS>({ max: PATTERN_CACHE_MAX });

function compile(source: string): RE2JS {
  let re = cache.get(source);
  if (re === undefined) {
    // matches() is a whole-value match; the group keeps alternations (a|b) whole.
    re = RE2JS.compile(`(?:${source})`);
    cache.set(source, re);
  }
  return re;
}

/** What is wrong with a pattern, or undefined when it can be used. */
export function patternProblem(source: string): string | undefined {
  if (source.length > MAX_PATTERN_CHARS) return `is ${source.length} characters long; patterns may have at most ${MAX_PATTERN_CHARS}`;
  try {
    compile(source);
    return undefined;
  } catch (e) {
    const reason = e instanceof Error ? e.message.replace(/^error parsing regexp: /, "") : "invalid";
    return `is not a pattern credvend can match in linear time (${reason}); write it without backreferences (\\1) or lookaround ((?=, (?!, (?<=, (?<!)`;
  }
}

/** True when the whole value matches. Values longer than any request may carry never match. */
export function fullyMatches(source: string, value: string): boolean {
  if (value.length > MAX_PARAM_VALUE_CHARS) return false;
  return compile(source).matches(value);
}

/** For tests: how many compiled patterns are held. */
export function cachedPatternCount(): number {
  return cache.size;
}
