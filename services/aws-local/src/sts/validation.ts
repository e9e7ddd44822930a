// Request validation in STS's own words: all constraint failures of one request are collected and
// reported together as "N validation error(s) detected: …" (ValidationError, 400). Values of
// sensitive fields (token codes, policies, external ids, web identity tokens, SAML assertions) are
// never echoed.
import { AwsError } from "../types.js";

export const NAME_PATTERN = /^[\w+=,.@-]*$/;
export const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]*$/;
export const SERIAL_PATTERN = /^[\w+=/:,.@-]*$/;
export const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u;
export const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
// \u0009 \u000A \u000D \u0020-\u00FF, as in the STS model for policy text.
export const POLICY_CHARS = /^[\u0009\u000A\u000D\u0020-\u00FF]+$/;
// The STS model's arnType (RoleArn, PrincipalArn, PolicyArns[].arn): no control characters.
export const ARN_PATTERN = /^[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]+$/u;
/** The largest session policy where the model caps its length (sessionPolicyDocumentType). */
export const MAX_MODELED_POLICY_CHARS = 2048;

const SENSITIVE = new Set(["tokenCode", "policy", "externalId", "webIdentityToken", "sAMLAssertion", "policyDocument", "contextAssertion"]);

export function validationError(message: string): AwsError {
  return new AwsError("ValidationError", message, 400);
}

export class Validator {
  private readonly problems: string[] = [];

  /** Records a failed constraint on `member` (camelCase, as AWS names it). */
  fail(member: string, value: string | undefined, constraint: string): void {
    // Judged by the last path segment, so list members (providedContexts.1.member.contextAssertion) count too.
    const leaf = member.slice(member.lastIndexOf(".") + 1);
    const shown = value === undefined ? "Value null" : SENSITIVE.has(leaf) ? "Value" : `Value '${truncate(value)}'`;
    this.problems.push(`${shown} at '${member}' failed to satisfy constraint: ${constraint}`);
  }

  required(member: string, value: string | undefined): value is string {
    if (value === undefined) {
      this.fail(member, undefined, "Member must not be null");
      return false;
    }
    return true;
  }

  /** Length (in characters) and pattern; absent values pass (use `required` for those). */
  text(member: string, value: string | undefined, min: number, max: number, pattern?: RegExp): void {
    if (value === undefined) return;
    if (value.length < min) this.fail(member, value, `Member must have length greater than or equal to ${min}`);
    else if (value.length > max) this.fail(member, value, `Member must have length less than or equal to ${max}`);
    if (pattern !== undefined && !pattern.test(value)) {
      this.fail(member, value, `Member must satisfy regular expression pattern: ${patternText(pattern)}`);
    }
  }

  /** An integer in [min, max]; returns it, or undefined when absent or invalid. */
  integer(member: string, value: string | undefined, min: number, max: number): number | undefined {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n)) {
      this.fail(member, value, "Member must be an integer");
      return undefined;
    }
    if (n < min) this.fail(member, value, `Member must have value greater than or equal to ${min}`);
    else if (n > max) this.fail(member, value, `Member must have value less than or equal to ${max}`);
    return n;
  }

  count(member: string, length: number, max: number): void {
    if (length > max) this.problems.push(`Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`);
  }

  /** Throws ValidationError when anything failed. */
  done(): void {
    const n = this.problems.length;
    if (n === 0) return;
    throw validationError(`${n} validation error${n === 1 ? "" : "s"} detected: ${this.problems.join("; ")}`);
  }
}

function patternText(pattern: RegExp): string {
  return pattern.source.replace(/^\^/, "").replace(/\$$/, "");
}

function truncate(s: string): string {
  return s.length > 128 ? `${s.slice(0, 128)}…` : s;
}
