import { loadConfigFile, natsAuthorization } from "@credvend/policy";
import { formatProblems } from "@credvend/vendor";
import { parse, UsageError } from "../args.js";

export const NATS_CONFIG_USAGE = `usage: credvend nats-config FILE [--vendor-user U] [--vendor-password-env VAR]

Prints the nats-server authorization block for the identities in FILE: each requester may publish
only on credvend.v1.req.<tenant>.<principal> and subscribe only to its own replies; the worker
user gets what it needs (queue group subscription, replies, JetStream/KV, discovery).
Passwords are written as $ENV_VAR references that nats-server resolves at start-up.`;

export async function natsConfigCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parse(argv, { "vendor-user": { type: "string" }, "vendor-password-env": { type: "string" } }, NATS_CONFIG_USAGE);
  const file = positionals[0];
  if (!file) throw new UsageError(NATS_CONFIG_USAGE);
  const result = loadConfigFile(file);
  if (!result.ok) {
    out(formatProblems(result.problems));
    return 1;
  }
  const vendor = values["vendor-user"] || values["vendor-password-env"]
    ? { user: values["vendor-user"] ?? "credvend-vendor", password: `$${values["vendor-password-env"] ?? "CREDVEND_VENDOR_NATS_PASSWORD"}` }
    : undefined;
  try {
    out(natsAuthorization(result.config, vendor ? { vendor } : {}));
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
  return 0;
}
