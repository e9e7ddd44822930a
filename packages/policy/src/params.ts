// Typed template parameters. Every value is checked against its type's alphabet before anything
// else: the alphabets leave out quotes, brackets, braces, `*`, `?`, `$`, commas, whitespace,
// control characters and non-ASCII, and `..` is refused, so a value can only ever narrow the
// string it is substituted into, never add structure or widen a resource.
import type { ParamSpec } from "./schema.js";
import { preview } from "./problems.js";
import { fullyMatches } from "./pattern.js";

/** string: one name-like token. No '/' or ':' so it can not move into another ARN field or path level. */
const STRING_ALPHABET = /^[A-Za-z0-9_.@+=-]+$/;
/** enum values are written by the template author; they may also use ':' and '/'. */
export const ENUM_ALPHABET = /^[A-Za-z0-9_.@+=:/-]+$/;
const INTEGER = /^-?(?:0|[1-9][0-9]{0,15})$/;
const ARN = /^arn:(aws|aws-cn|aws-us-gov):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws|):([A-Za-z0-9_.@+=:/-]+)$/;
const S3_PREFIX = /^[A-Za-z0-9_.@+=-]+(?:\/[A-Za-z0-9_.@+=-]+)*\/?$/;

export const DEFAULT_MAX_LENGTH = { string: 128, arn: 256, s3_prefix: 256 } as const;

/** Longest value the parameter can take, for worst-case size checks. */
export function paramMaxLength(spec: ParamSpec): number {
  switch (spec.type) {
    case "string": return spec.max_length ?? DEFAULT_MAX_LENGTH.string;
    case "enum": return Math.max(...spec.values.map((v) => v.length));
    case "integer": {
      const bound = (n: number | undefined) => (n === undefined ? 17 : String(n).length);
      return Math.max(bound(spec.min), bound(spec.max));
    }
    case "arn": return spec.max_length ?? DEFAULT_MAX_LENGTH.arn;
    case "s3_prefix": return spec.max_length ?? DEFAULT_MAX_LENGTH.s3_prefix;
  }
}

/** Checks a value against its parameter type. Returns what is wrong, or undefined when it is valid. */
export function checkParamValue(spec: ParamSpec, value: string): string | undefined {
  const shown = preview(value);
  const max = paramMaxLength(spec);
  if (value.length === 0) return "is empty; give a value";
  if (value.length > max) return `is ${value.length} characters long; the maximum is ${max}`;
  if (value.includes("..")) return `${shown} contains '..'`;
  switch (spec.type) {
    case "string":
      if (!STRING_ALPHABET.test(value)) return `${shown} has characters outside [A-Za-z0-9_.@+=-]`;
      if (spec.min_length !== undefined && value.length < spec.min_length) return `${shown} is shorter than ${spec.min_length} characters`;
      break;
    case "enum":
      if (!spec.values.includes(value)) return `${shown} is not one of ${preview(spec.values, 200)}`;
      return undefined;
    case "integer": {
      if (!INTEGER.test(value)) return `${shown} is not an integer`;
      const n = Number(value);
      if (spec.min !== undefined && n < spec.min) return `${shown} is below the minimum ${spec.min}`;
      if (spec.max !== undefined && n > spec.max) return `${shown} is above the maximum ${spec.max}`;
      return undefined;
    }
    case "arn": {
      const m = ARN.exec(value);
      if (m === null) return `${shown} is not an ARN (arn:partition:service:region:account:resource, no wildcards)`;
      if (spec.service !== undefined && !spec.service.includes(m[2] as string)) return `${shown} is not an ARN of service ${spec.service.join(" or ")}`;
      if (spec.account !== undefined && !spec.account.includes(m[4] as string)) return `${shown} is not in account ${spec.account.join(" or ")}`;
      break;
    }
    case "s3_prefix":
      if (!S3_PREFIX.test(value)) return `${shown} is not an S3 key prefix (segments of [A-Za-z0-9_.@+=-] separated by '/', no leading '/')`;
      if (value.split("/").includes(".")) return `${shown} has a '.' path segment`;
      break;
  }
  if (spec.pattern !== undefined && !fullyMatches(spec.pattern, value)) return `${shown} does not match the pattern ${spec.pattern}`;
  return undefined;
}

/** A parameter is required unless it says otherwise or has a default. */
export function isRequired(spec: ParamSpec): boolean {
  return spec.required ?? spec.default === undefined;
}
