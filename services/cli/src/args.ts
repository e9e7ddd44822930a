import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed<T extends Options> {
  readonly values: ReturnType<typeof parseArgs<{ options: T; allowPositionals: true; strict: true }>>["values"];
  readonly positionals: string[];
}

/** parseArgs with errors that say which flag is wrong and what the command accepts. */
export function parse<T extends Options>(argv: readonly string[], options: T, usage: string): Parsed<T> {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage}`);
  }
}

/** `--param k=v` (repeatable) → record; a value may contain '='. */
export function parseParams(values: readonly string[] | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const item of values ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--param ${JSON.stringify(item)} must be name=value`);
    params[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return params;
}

export function parseIntFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** Shows only the first 4 characters of a secret and its length. */
export function mask(secret: string): string {
  return secret.length <= 4 ? "****" : `${secret.slice(0, 4)}…(${secret.length} chars, masked)`;
}
