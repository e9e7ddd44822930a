// The part of a rate-limit key that stands for an access rule. It must not depend on where the
// rule sits in the list: keyed by position, a reload that inserts a rule above an unnamed one gave
// it a fresh burst and handed its old bucket (and state) to whichever rule moved into its place.
//
// - A named rule is keyed by its name, exactly as before, so a rolling upgrade keeps counting in
//   the same buckets. Names are unique (lint-access.ts), so two rules never share one.
// - An unnamed rule is keyed by a hash of its own content (everything the rule says, object keys
//   sorted, so moving a key within the rule changes nothing). Editing the rule moves its bucket;
//   name it to keep the bucket across edits. The "~" prefix is outside the name alphabet, so a
//   hash never takes a named rule's bucket, and differs from the old "#<index>" form.
import { createHash } from "node:crypto";
import type { AccessRule } from "./schema.js";

/** 96 bits of SHA-256: a collision between two rules of one config is not a practical concern. */
const DIGEST_CHARS = 16;

// Configs are deep-frozen and plans are memoized, but a rule's id is still computed once only.
const ids = new WeakMap<AccessRule, string>();

export function ruleBucketId(rule: AccessRule): string {
  if (rule.name !== undefined) return rule.name;
  let id = ids.get(rule);
  if (id === undefined) {
    // An omitted effect means allow: spelling it out must not move the bucket.
    const content = canonicalJson({ ...rule, effect: rule.effect ?? "allow" });
    id = `~${createHash("sha256").update(content).digest("base64url").slice(0, DIGEST_CHARS)}`;
    ids.set(rule, id);
  }
  return id;
}

/** JSON with every object's keys sorted; arrays keep their order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
