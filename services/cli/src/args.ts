import { isValidRequestId } from "@credvend/protocol";
import { statSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** The command line is wrong: exit 2 with one line (the caller adds where to read the usage). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The command could not do its job for a reason the user can fix (a file, a server, a setting): exit 1. */
export class CliFailure extends Error {
  override readonly name = "CliFailure";
}

/** `credvend exec`'s COMMAND does not exist: exit 127, as env(1) and shells do, so it is never taken for COMMAND's own status. */
export class CommandNotFound extends Error {
  override readonly name = "CommandNotFound";
}

/** `credvend exec`'s COMMAND exists but can not be run (not executable, a directory): exit 126, as env(1). */
export class CommandNotRunnable extends Error {
  override readonly name = "CommandNotRunnable";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed<T extends Options> {
  readonly values: ReturnType<typeof parseArgs<{ options: T; allowPositionals: true; strict: true }>>["values"];
  readonly positionals: string[];
}

/**
 * parseArgs with one-line errors that name the wrong flag; at most `maxPositionals` operands, so a
 * stray word (a typo, a forgotten `--`) is refused instead of silently ignored.
 */
export function parse<T extends Options>(argv: readonly string[], options: T, maxPositionals = 0): Parsed<T> {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's text ends in hints about '--' that do not apply here, some on lines of their own
    // (a negative number: "argument is ambiguous. Did you forget…"); the failure is one line.
    const text = (error as Error).message.replace(/\. To specify a positional argument.*$/s, "").split("\n")[0] ?? "";
    throw new UsageError(/ambiguous/.test(text) ? text.replace(/ argument is ambiguous\.?/, " needs a value; one starting with '-' is taken for an option (write it as --flag=VALUE if it really starts with '-')") : text);
  }
  const extra = parsed.positionals.slice(maxPositionals);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  return parsed;
}

/** `--param k=v` (repeatable) → record; a value may contain '='. */
export function parseParams(values: readonly string[] | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const item of values ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--param ${JSON.stringify(item)} must be name=value`);
    const name = item.slice(0, eq);
    // The last one silently winning would vend something other than what half the line asks for.
    if (Object.hasOwn(params, name)) throw new UsageError(`--param ${name} is given twice; a parameter takes one value`);
    params[name] = item.slice(eq + 1);
  }
  return params;
}

export function parseIntFlag(name: string, value: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > max) {
    throw new UsageError(`--${name} must be a whole number${max < Number.MAX_SAFE_INTEGER ? ` from 0 to ${max}` : ""}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** `--request-id`: checked here, so a malformed one is a usage error that shows a valid one. */
export function parseRequestId(value: string | undefined): string | undefined {
  if (value === undefined || isValidRequestId(value)) return value;
  throw new UsageError(`--request-id must be 8 to 128 letters, digits, '-' or '_' (e.g. a UUID such as 3f2b9c1e-8d4a-4f6b-9e2d-7c5a1b0e4d93), got ${JSON.stringify(value.length > 140 ? `${value.slice(0, 140)}…` : value)}`);
}

/** `--output FORMAT`: one of `formats`, the first being the default. */
export function parseOutput<F extends string>(value: string | undefined, formats: readonly [F, ...F[]]): F {
  if (value === undefined) return formats[0];
  if ((formats as readonly string[]).includes(value)) return value as F;
  throw new UsageError(`--output must be ${formats.join(" or ")}, got ${JSON.stringify(value)}`);
}

/**
 * A file the user named (flag, operand or variable) must be a readable regular file. Checked up
 * front so the error is one line naming what to fix, not a parser's or a library's message.
 */
export function requireFile(file: string, what: string): string {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliFailure(`${what} ${file}: ${code === "ENOENT" || code === "ENOTDIR" ? "no such file" : code === "EACCES" ? "permission denied" : (error as Error).message}`);
  }
  if (!isFile) throw new CliFailure(`${what} ${file}: is a directory, not a file`);
  return file;
}

/** Shows only the first 4 characters of a secret and its length. */
export function mask(secret: string): string {
  return secret.length <= 4 ? "****" : `${secret.slice(0, 4)}…(${secret.length} chars, masked)`;
}
