// How credentials leave credvend, in one place: `request --output`, `env --format` and
// `credential-process` all print through here, so a field's name and escaping exist once.
import type { VendedCredentials } from "@credvend/client";
import { mask, UsageError } from "../args.js";

export type Credentials = Pick<VendedCredentials, "accessKeyId" | "secretAccessKey" | "sessionToken" | "expiration"> & Partial<Pick<VendedCredentials, "arn" | "requestId">>;

/** The AWS SDKs' and CLI's credential_process output (Version 1). */
export function processJson(c: Credentials): string {
  return JSON.stringify({ Version: 1, AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, SessionToken: c.sessionToken, Expiration: c.expiration.toISOString() });
}

/** The variables every AWS SDK and the CLI read, as `aws configure export-credentials` names them. */
export function envVariables(c: Credentials): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: c.accessKeyId,
    AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
    AWS_SESSION_TOKEN: c.sessionToken,
    AWS_CREDENTIAL_EXPIRATION: c.expiration.toISOString(),
  };
}

/** POSIX shell single quotes: nothing inside is expanded; a quote is closed, escaped, reopened. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** PowerShell single-quoted string: a quote is doubled. */
export function powershellQuote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export const ENV_FORMATS = ["env", "json", "powershell"] as const;
export type EnvFormat = (typeof ENV_FORMATS)[number];

export function formatEnv(c: Credentials, format: EnvFormat): string {
  const vars = envVariables(c);
  if (format === "json") return JSON.stringify(vars, null, 2);
  if (format === "powershell") return Object.entries(vars).map(([k, v]) => `$Env:${k}=${powershellQuote(v)}`).join("\n");
  return Object.entries(vars).map(([k, v]) => `export ${k}=${shellQuote(v)}`).join("\n");
}

export const REQUEST_OUTPUTS = ["json", "table", "env"] as const;
export type RequestOutput = (typeof REQUEST_OUTPUTS)[number];

/** `credvend request` output: json (credential_process fields plus details), env, or a table for a person (secrets masked). */
export function formatRequest(c: Credentials, output: RequestOutput): string {
  if (output === "env") return formatEnv(c, "env");
  const fields: Record<string, string | number> = {
    Version: 1,
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    SessionToken: c.sessionToken,
    Expiration: c.expiration.toISOString(),
    ...(c.arn !== undefined ? { Arn: c.arn } : {}),
    ...(c.requestId !== undefined ? { RequestId: c.requestId } : {}),
  };
  if (output === "json") return JSON.stringify(fields, null, 2);
  const rows: [string, string][] = [
    ["access key id", c.accessKeyId],
    ["secret access key", mask(c.secretAccessKey)],
    ["session token", mask(c.sessionToken)],
    ["expires", `${c.expiration.toISOString()} (in ${Math.max(0, Math.round((c.expiration.getTime() - Date.now()) / 60_000))} min)`],
    ...(c.arn ? [["arn", c.arn] as [string, string]] : []),
    ...(c.requestId ? [["request id", c.requestId] as [string, string]] : []),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}

/** A `--output`/`--format` value checked against its list, as a usage error naming the choices. */
export function oneOf<T extends string>(flag: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be one of ${choices.join(", ")}, got ${JSON.stringify(value)}`);
}
