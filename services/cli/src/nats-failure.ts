// A NATS client error as one line that names the setting to fix. Apart from connect.ts so that
// the failure path (index.ts) can use it without loading the NATS client.
import { CliFailure } from "./args.js";
import type { RequesterEnv } from "./cli-env.js";

/** A NATS error as one actionable line; anything unrecognised is returned unchanged. */
export function natsFailure(error: unknown, env: RequesterEnv): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const who = env.natsUser ? `user ${JSON.stringify(env.natsUser)}` : "an anonymous client (NATS_USER is not set)";
  if (code === "CONNECTION_REFUSED" || code === "ECONNREFUSED") {
    return new CliFailure(`cannot connect to NATS at ${env.natsUrl} (connection refused): start nats-server or set NATS_URL`);
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new CliFailure(`cannot connect to NATS at ${env.natsUrl} (unknown host): check NATS_URL`);
  }
  if (code === "CONNECTION_TIMEOUT" || code === "TIMEOUT") {
    return new CliFailure(`NATS at ${env.natsUrl} did not answer in time: check NATS_URL`);
  }
  if (code === "AUTHORIZATION_VIOLATION" || code === "BAD_AUTHENTICATION") {
    return new CliFailure(`NATS at ${env.natsUrl} refused ${who}: check NATS_USER and NATS_PASSWORD`);
  }
  if (code === "PERMISSIONS_VIOLATION") {
    return new CliFailure(`NATS denied ${who}: ${message.replace(/^'|'$/g, "")}; use a NATS user whose permissions allow it`);
  }
  return error;
}
