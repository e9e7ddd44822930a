import { MIN_NATS_PASSWORD_LENGTH, natsAuthorization } from "@credvend/policy";
import { processEnv } from "../cli-env.js";
import { CliFailure, parse, UsageError } from "../args.js";
import { loadConfig } from "../problems.js";

export const NATS_CONFIG_USAGE = `usage: credvend nats-config FILE [--vendor-user U] [--vendor-password-env VAR]
       [--operator-user U [--operator-password-env VAR]] [--auditor-user U [--auditor-password-env VAR]]

Prints the nats-server authorization block for the identities in FILE (its 'identities:' list:
tenant, principal, and a user with a $ENV password or an nkey; see packages/policy/README.md).
Each requester may publish only on credvend.v1.req.<tenant>.<principal> and subscribe only to its
own replies; the worker user (default credvend-vendor, password $CREDVEND_VENDOR_NATS_PASSWORD)
gets what it needs (queue group subscription, replies, JetStream/KV, discovery). --operator-user adds
a user for credvend status and credvend revoke (password $CREDVEND_OPERATOR_NATS_PASSWORD unless
--operator-password-env): service discovery ($SRV.>), revocation notices to the workers
(credvend.v1.admin.revoked) and _INBOX.> replies; no request subjects and no JetStream.
--auditor-user adds a user for credvend audit tail (password $CREDVEND_AUDITOR_NATS_PASSWORD unless
--auditor-password-env) that may only READ the audit stream: look up CREDVEND_AUDIT, create, inspect
and delete ephemeral consumers of it, their flow control, and _INBOX.credvend-audit.> replies; no
request or audit subjects, no purge/delete/update of the stream, no other stream, no KV.
Passwords are written as bcrypt hashes of the $ENV_VAR values in THIS command's environment (never
as references nats-server would resolve: an unset variable there would let anyone in with an empty
password). An unset, empty or short (under ${MIN_NATS_PASSWORD_LENGTH} characters) secret is refused, naming the
variable. Include the block in nats-server.conf (include ./credvend-auth.conf) and reload it
(nats-server --signal reload); nats-server itself needs none of the secrets.`;

export async function natsConfigCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parse(argv, {
    "vendor-user": { type: "string" }, "vendor-password-env": { type: "string" },
    "operator-user": { type: "string" }, "operator-password-env": { type: "string" },
    "auditor-user": { type: "string" }, "auditor-password-env": { type: "string" },
  }, 1);
  const file = positionals[0];
  if (!file) throw new UsageError("nats-config needs a FILE");
  const { config } = loadConfig(file, "config file");
  const passwordEnv = envName("vendor-password-env", values["vendor-password-env"]);
  const vendor = values["vendor-user"] || passwordEnv
    ? { user: values["vendor-user"] ?? "credvend-vendor", password: `$${passwordEnv ?? "CREDVEND_VENDOR_NATS_PASSWORD"}` }
    : undefined;
  const operator = roleUser("operator", values["operator-user"], values["operator-password-env"], "CREDVEND_OPERATOR_NATS_PASSWORD");
  const auditor = roleUser("auditor", values["auditor-user"], values["auditor-password-env"], "CREDVEND_AUDITOR_NATS_PASSWORD");
  let block: string;
  try {
    block = natsAuthorization(config, { ...(vendor ? { vendor } : {}), ...(operator ? { operator } : {}), ...(auditor ? { auditor } : {}), hashSecrets: { env: processEnv() } });
  } catch (error) {
    if (error instanceof RangeError) throw new CliFailure(`${file}: ${error.message}`);
    throw error;
  }
  // Stdout is usually redirected into the server's config: say on stderr that no requester can connect.
  if (!config.identities?.length) {
    process.stderr.write(`credvend nats-config: warning: ${file} has no 'identities:', so the block has only the worker's user and no requester can connect\n`);
  }
  out(block);
  return 0;
}

/** `--ROLE-user U [--ROLE-password-env VAR]`: the user, with its password as a `$VAR` reference (hashed later). */
function roleUser(role: string, user: string | undefined, passwordEnv: string | undefined, defaultEnv: string): { user: string; password: string } | undefined {
  const env = envName(`${role}-password-env`, passwordEnv);
  if (env && !user) throw new UsageError(`--${role}-password-env needs --${role}-user`);
  return user ? { user, password: `$${env ?? defaultEnv}` } : undefined;
}

/** A `--*-password-env` value: a variable name (a leading '$' is allowed). */
function envName(flag: string, value: string | undefined): string | undefined {
  const name = value?.replace(/^\$/, "");
  if (name !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError(`--${flag} must be an environment variable name, got ${JSON.stringify(value)}`);
  return name;
}
