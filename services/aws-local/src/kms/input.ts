// Reading a KMS JSON request body: wrong JSON types are SerializationException, values that break a
// model constraint are ValidationException in KMS's own wording. Blob values (plaintext, data keys,
// ciphertexts) never appear in a message. Unknown members are ignored, as newer SDKs may send them.

import { AwsError } from "../types.js";
import type { EncryptionContext } from "./ciphertext.js";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** KMS names members in lowerCamelCase in validation messages ("Value at 'plaintext' …"). */
function memberName(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function validation(detail: string): AwsError {
  return new AwsError("ValidationException", `1 validation error detected: ${detail}`, 400);
}

function serialization(message: string): AwsError {
  return new AwsError("SerializationException", message, 400);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : typeof value;
}

interface LengthRule {
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
}

export class KmsInput {
  private constructor(private readonly body: Readonly<Record<string, unknown>>) {}

  static parse(input: unknown, operation: string): KmsInput {
    if (input === undefined || input === null) return new KmsInput({});
    if (typeof input !== "object" || Array.isArray(input)) {
      throw serialization(`${operation}: the request body must be a JSON object, not ${describe(input)}`);
    }
    return new KmsInput(input as Record<string, unknown>);
  }

  has(name: string): boolean {
    return this.body[name] !== undefined && this.body[name] !== null;
  }

  private raw(name: string, required: boolean | undefined): unknown {
    const value = this.body[name];
    if (value === undefined || value === null) {
      if (required === true) throw validation(`Value null at '${memberName(name)}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    return value;
  }

  private checkLength(name: string, length: number, rule: LengthRule, shown: string): void {
    const at = `Value ${shown}at '${memberName(name)}' failed to satisfy constraint: Member must have length`;
    if (rule.min !== undefined && length < rule.min) throw validation(`${at} greater than or equal to ${rule.min}`);
    if (rule.max !== undefined && length > rule.max) throw validation(`${at} less than or equal to ${rule.max}`);
  }

  string(name: string, rule: LengthRule & { required: true }): string;
  string(name: string, rule?: LengthRule): string | undefined;
  string(name: string, rule: LengthRule = {}): string | undefined {
    const value = this.raw(name, rule.required);
    if (value === undefined) return undefined;
    if (typeof value !== "string") throw serialization(`${name} must be a JSON string, not ${describe(value)}`);
    this.checkLength(name, value.length, rule, `'${value.length > 100 ? value.slice(0, 100) + "…" : value}' `);
    return value;
  }

  /** A base64 blob; its bytes are secret or opaque, so messages give only its length. */
  blob(name: string, rule: LengthRule & { required: true }): Buffer;
  blob(name: string, rule?: LengthRule): Buffer | undefined;
  blob(name: string, rule: LengthRule = {}): Buffer | undefined {
    const value = this.raw(name, rule.required);
    if (value === undefined) return undefined;
    if (typeof value !== "string") throw serialization(`${name} must be a base64 JSON string, not ${describe(value)}`);
    if (!BASE64.test(value)) throw serialization(`${name} is not valid base64`);
    const bytes = Buffer.from(value, "base64");
    this.checkLength(name, bytes.length, rule, "");
    return bytes;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const value = this.raw(name, false);
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isInteger(value)) throw serialization(`${name} must be a JSON integer, not ${describe(value)}`);
    const at = `Value '${value}' at '${memberName(name)}' failed to satisfy constraint: Member must have value`;
    if (value < min) throw validation(`${at} greater than or equal to ${min}`);
    if (value > max) throw validation(`${at} less than or equal to ${max}`);
    return value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.raw(name, false);
    if (value === undefined) return undefined;
    if (typeof value !== "boolean") throw serialization(`${name} must be a JSON boolean, not ${describe(value)}`);
    return value;
  }

  enumOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!(values as readonly string[]).includes(value)) {
      throw validation(`Value '${value}' at '${memberName(name)}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(", ")}]`);
    }
    return value as T;
  }

  /** An encryption context: a JSON object of strings; absent means the empty context. */
  context(name: string): EncryptionContext {
    const value = this.raw(name, false);
    if (value === undefined) return {};
    if (typeof value !== "object" || Array.isArray(value)) throw serialization(`${name} must be a JSON object of strings, not ${describe(value)}`);
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v !== "string") throw serialization(`${name}["${k}"] must be a JSON string, not ${describe(v)}`);
    }
    return value as EncryptionContext;
  }

  /** A list of at most `maxItems` strings, each `itemLength.min`..`itemLength.max` characters long. */
  stringList(name: string, maxItems: number, itemLength: { readonly min: number; readonly max: number }): readonly string[] {
    const value = this.raw(name, false);
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) throw serialization(`${name} must be a JSON array of strings`);
    if (value.length > maxItems) {
      throw validation(`Value at '${memberName(name)}' failed to satisfy constraint: Member must have length less than or equal to ${maxItems}`);
    }
    value.forEach((item: string, i) => {
      const at = `${memberName(name)}.${i + 1}.member`;
      if (item.length < itemLength.min) throw validation(`Value at '${at}' failed to satisfy constraint: Member must have length greater than or equal to ${itemLength.min}`);
      if (item.length > itemLength.max) throw validation(`Value at '${at}' failed to satisfy constraint: Member must have length less than or equal to ${itemLength.max}`);
    });
    return value as string[];
  }

  tags(name: string): readonly { TagKey: string; TagValue: string }[] {
    const value = this.raw(name, false);
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw serialization(`${name} must be a JSON array of {"TagKey","TagValue"} objects`);
    return value.map((tag: unknown, i) => {
      const t = tag as Record<string, unknown> | null;
      if (typeof t !== "object" || t === null || typeof t["TagKey"] !== "string" || typeof t["TagValue"] !== "string") {
        throw serialization(`${name}[${i}] must be an object with string TagKey and TagValue`);
      }
      const [key, val] = [t["TagKey"], t["TagValue"]];
      if (key.length < 1 || key.length > 128) throw validation(`Value '${key}' at 'tags.${i + 1}.member.tagKey' failed to satisfy constraint: Member must have length between 1 and 128`);
      if (val.length > 256) throw validation(`Value at 'tags.${i + 1}.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256`);
      return { TagKey: key, TagValue: val };
    });
  }
}
