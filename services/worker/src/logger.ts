// pino with every secret-bearing field redacted. The paths are compiled once, here; call sites
// never build redaction paths from input.
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

const SECRET_FIELDS = [
  "secretAccessKey", "SecretAccessKey", "sessionToken", "SessionToken", "token", "Token",
  "webIdentityToken", "WebIdentityToken", "samlAssertion", "SAMLAssertion", "tokenCode", "TokenCode",
  "password", "plaintext", "Plaintext", "dataKey",
];

export const REDACT_PATHS: readonly string[] = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_FIELDS.map((f) => `*.*.${f}`),
];

export function createLogger(options: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      name: options.name ?? "credvend-vendor",
      level: options.level ?? "info",
      base: { pid: process.pid },
      redact: { paths: [...REDACT_PATHS], censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
