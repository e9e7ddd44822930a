// Lint of one template's session policy: wildcards, NotAction/NotResource, statement shape,
// characters STS refuses, and placeholders where rendering would not reach them (keys).
import type { PolicyDocument, Template } from "./schema.js";
import { problem, preview, type PathSegment, type Problem } from "./problems.js";
import { parseTemplateString, variablesIn, type Part } from "./placeholders.js";
import { POLICY_CHARSET } from "./limits.js";

/** Stand in for variables when we look at a string's literal shape. */
const VAR = "\u0001";
/** An s3_prefix variable: a wildcard right after it is the point of the type. */
const PREFIX_VAR = "\u0002";
/** An arn variable: supplies a whole, validated ARN. */
const ARN_VAR = "\u0003";

type Params = Template["params"];

function shapeOf(source: string, params: Params = {}): string {
  return parseTemplateString(source).map((p) => {
    if ("text" in p) return p.text;
    const type = Object.hasOwn(params ?? {}, p.variable) ? params?.[p.variable]?.type : undefined;
    return type === "s3_prefix" ? PREFIX_VAR : type === "arn" ? ARN_VAR : VAR;
  }).join("");
}

function asList(v: string | readonly string[] | undefined): readonly string[] {
  return v === undefined ? [] : typeof v === "string" ? [v] : v;
}

function listPath(base: PathSegment[], key: string, v: string | readonly string[] | undefined, i: number): PathSegment[] {
  return typeof v === "string" ? [...base, key] : [...base, key, i];
}

export function lintPolicy(policy: PolicyDocument, base: PathSegment[], allowWildcards: boolean, params: Params = {}): Problem[] {
  const out: Problem[] = [];
  const err = (path: PathSegment[], msg: string) => out.push(problem("error", path, msg));
  const warn = (path: PathSegment[], msg: string) => out.push(problem("warning", path, msg));
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  const single = !Array.isArray(policy.Statement);

  statements.forEach((st, i) => {
    const at: PathSegment[] = single ? [...base, "Statement"] : [...base, "Statement", i];
    if (st.Action !== undefined && st.NotAction !== undefined) err(at, "has both Action and NotAction; keep one");
    if (st.Action === undefined && st.NotAction === undefined) err(at, "has no Action; list the actions it allows or denies");
    if (st.Resource !== undefined && st.NotResource !== undefined) err(at, "has both Resource and NotResource; keep one");
    if (st.Resource === undefined && st.NotResource === undefined) err(at, "has no Resource; name the resources it applies to");
    if (st.Effect === "Allow") {
      if (st.NotAction !== undefined) err([...at, "NotAction"], "Allow with NotAction grants every other action; list the allowed actions in Action instead");
      if (st.NotResource !== undefined) err([...at, "NotResource"], "Allow with NotResource grants every other resource; list the allowed resources in Resource instead");
    }
    // Wildcards only widen in Allow statements; a broad Deny narrows.
    if (st.Effect !== "Allow" || allowWildcards) return;
    asList(st.Action).forEach((action, j) => {
      const path = listPath(at, "Action", st.Action, j);
      const shape = shapeOf(action);
      if (shape === "*" || /^[^:]*:\*$/.test(shape)) {
        err(path, `wildcard action ${preview(action)}; list the exact actions, or set allow_wildcards: true on the template`);
      } else if (/[*?]/.test(shape)) {
        warn(path, `action ${preview(action)} uses a wildcard; it may grant more actions than intended`);
      } else if (!shape.includes(VAR) && !/^[a-z0-9-]+:[A-Za-z0-9]+$/.test(shape)) {
        warn(path, `${preview(action)} does not look like an action (service:ActionName)`);
      }
    });
    asList(st.Action).forEach((action, j) => {
      // A variable in an Allow action lets the request pick the action (s3:{{op}} → s3:DeleteBucket);
      // only an enum, whose values the author wrote, keeps the action set fixed.
      for (const v of variablesIn(action)) {
        const spec = Object.hasOwn(params ?? {}, v) ? params?.[v] : undefined;
        if (spec?.type !== "enum") err(listPath(at, "Action", st.Action, j), `${preview(action)} lets the request choose the action through {{${v}}}; list the actions, or make ${v} an enum parameter`);
      }
    });
    asList(st.Resource).forEach((resource, j) => {
      const path = listPath(at, "Resource", st.Resource, j);
      lintResource(shapeOf(resource, params), resource, path, err, warn);
      lintWildcardReach(resource, path, params, err, true);
      lintWholeArn(resource, path, params, err);
    });
    // Wildcard-matching condition operators widen like a resource does (StringLike s3:prefix "{{tenant}}-*").
    for (const [op, entries] of Object.entries(st.Condition ?? {}) as [string, Readonly<Record<string, unknown>>][]) {
      if (!WILDCARD_OPERATOR.test(op)) continue;
      for (const [key, value] of Object.entries(entries)) {
        const list = Array.isArray(value) ? value : [value];
        list.forEach((v, j) => {
          if (typeof v === "string") lintWildcardReach(v, Array.isArray(value) ? [...at, "Condition", op, key, j] : [...at, "Condition", op, key], params, err);
        });
      }
    }
  });
  return out;
}

/** Operators whose values are matched with `*` and `?` (ArnEquals matches like ArnLike). */
const WILDCARD_OPERATOR = /^(?:ForAnyValue:|ForAllValues:)?(?:StringLike|ArnLike|ArnEquals)(?:IfExists)?$/;

/** Characters each variable's values can contain, apart from ARN separators ('/' and ':'). */
function alphabetOf(variable: string, params: Params): RegExp {
  if (variable === "tenant" || variable === "principal") return /[a-z0-9_-]/;
  if (variable === "request_id") return /[A-Za-z0-9_-]/;
  const spec = Object.hasOwn(params ?? {}, variable) ? params?.[variable] : undefined;
  if (spec?.type === "integer") return /[0-9]/;
  return /[A-Za-z0-9_.@+=-]/;
}

/**
 * A wildcard reachable from a variable through characters the variable's own values may contain
 * widens it to longer values: with tenant "acme", "{{tenant}}-*" also matches tenant "acme-corp"'s
 * "acme-corp-data", and "*-{{tenant}}" matches "x-acme" of tenant "x-acme". Only a separator the
 * value can not contain (e.g. '/' for a tenant) between them keeps the match inside the value.
 * An s3_prefix may be followed by a wildcard: that is what the type is for.
 */
function lintWildcardReach(source: string, path: PathSegment[], params: Params, err: (p: PathSegment[], m: string) => void, inResource = false): void {
  const parts = parseTemplateString(source);
  const reaches = (text: string, alphabet: RegExp): boolean => {
    for (const c of text) {
      if (c === "*" || c === "?") return true;
      if (!alphabet.test(c)) return false;
    }
    return false;
  };
  const textAt = (i: number): string | undefined => {
    const p = parts[i];
    return p !== undefined && "text" in p ? p.text : undefined;
  };
  parts.forEach((p, i) => {
    if (!("variable" in p)) return;
    const alphabet = alphabetOf(p.variable, params);
    const type = Object.hasOwn(params ?? {}, p.variable) ? params?.[p.variable]?.type : undefined;
    const after = textAt(i + 1);
    const before = textAt(i - 1);
    const wildcardAfter = after !== undefined && reaches(after, alphabet);
    // In a resource ARN an s3_prefix is a key prefix only after the '/' that ends the bucket name
    // (or the resource type); before it, `arn:aws:s3:::{{prefix}}*` lets "acme" reach every
    // bucket whose name starts with it, another tenant's "acme-corp-data" included.
    const inFirstSegment = inResource && !resourceTextBefore(parts, i).includes("/");
    if (type === "s3_prefix" && wildcardAfter && inFirstSegment) {
      err(path, `${preview(source)} puts {{${p.variable}}} (an s3_prefix) in the bucket or resource name, followed by a wildcard, so a value also matches every name that starts with it (e.g. another tenant's bucket); put it after the bucket name and a '/' (arn:aws:s3:::bucket/{{${p.variable}}}*)`);
    } else if (type !== "s3_prefix" && wildcardAfter) {
      err(path, `${preview(source)} puts a wildcard right after a variable ({{${p.variable}}} and the '*' or '?' are joined by characters its values can contain), so a value also matches longer names (e.g. another tenant's); add a separator such as '/' before the '*'`);
    } else if (before !== undefined && reaches([...before].reverse().join(""), alphabet)) {
      err(path, `${preview(source)} puts a wildcard before {{${p.variable}}} joined by characters its values can contain, so it also matches names that merely end in the value (e.g. another tenant's); add a separator such as '/' after the '*'`);
    }
  });
}

/** What comes before part `upTo` within the ARN's resource field (variables as a marker). */
function resourceTextBefore(parts: readonly Part[], upTo: number): string {
  const before = parts.slice(0, upTo).map((q) => ("text" in q ? q.text : VAR)).join("");
  // arn:partition:service:region:account:resource — the resource starts after the fifth ':'.
  const fields = before.split(":");
  return fields.length >= 6 ? fields.slice(5).join(":") : before;
}

/**
 * A Resource that is one arn parameter lets the request name any resource the parameter admits;
 * without an account or a pattern that is any resource of any tenant in any account.
 */
function lintWholeArn(resource: string, path: PathSegment[], params: Params, err: (p: PathSegment[], m: string) => void): void {
  const parts = parseTemplateString(resource.trim());
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only === undefined || !("variable" in only)) return;
  const spec = Object.hasOwn(params ?? {}, only.variable) ? params?.[only.variable] : undefined;
  if (spec?.type !== "arn" || spec.account !== undefined || spec.pattern !== undefined) return;
  err(path, `the whole resource is {{${only.variable}}}, an arn parameter with no account or pattern, so a request may name any resource of any service in any account; give the parameter account (and service) or a pattern that pins it to the tenant`);
}

function lintResource(shape: string, resource: string, path: PathSegment[], err: (p: PathSegment[], m: string) => void, warn: (p: PathSegment[], m: string) => void): void {
  const fix = "name the resources (use {{tenant}} and parameters to scope them), or set allow_wildcards: true on the template";
  if (shape === "*") return err(path, `wildcard resource "*"; ${fix}`);
  if (shape.startsWith(ARN_VAR)) return;
  const parts = shape.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return warn(path, `${preview(resource)} is not an ARN (arn:partition:service:region:account:resource)`);
  const [, partition, service, region, account] = parts as [string, string, string, string, string];
  const rest = parts.slice(5).join(":");
  if (/[*?]/.test(partition) || /[*?]/.test(service)) return err(path, `${preview(resource)} has a wildcard partition or service; ${fix}`);
  if (rest === "" || /^[*?]/.test(rest)) return err(path, `${preview(resource)} matches every resource of the service; ${fix}`);
  if (/[*?]/.test(region) || /[*?]/.test(account)) warn(path, `${preview(resource)} has a wildcard region or account`);
}

/** Keys are never rendered, so a placeholder in a key is a mistake; literal text must fit STS's charset. */
export function lintPolicyText(policy: unknown, base: PathSegment[]): Problem[] {
  const out: Problem[] = [];
  const walk = (v: unknown, path: PathSegment[]): void => {
    if (typeof v === "string") {
      if (!POLICY_CHARSET.test(v)) out.push(problem("error", path, `${preview(v)} has characters STS refuses in a policy (allowed: tab, newline, U+0020-U+00FF)`));
      return;
    }
    if (Array.isArray(v)) return v.forEach((x: unknown, i) => walk(x, [...path, i]));
    if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes("{{") || k.includes("}}")) out.push(problem("error", [...path, k], "variables are only substituted in values, never in keys"));
        walk(x, [...path, k]);
      }
    }
  };
  walk(policy, base);
  return out;
}
