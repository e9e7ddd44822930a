// Connections the one-shot commands make, with failures turned into one line that names the
// setting to fix (NATS_URL, NATS_USER/NATS_PASSWORD, AWS_REGION) instead of a client library's code.
import { STSClient } from "@aws-sdk/client-sts";
import { connect, type NatsConnection } from "nats";
import { CliFailure } from "./args.js";
import type { RequesterEnv } from "./cli-env.js";

export async function connectNats(env: RequesterEnv, name: string): Promise<NatsConnection> {
  try {
    return await connect({
      servers: env.natsUrl.split(","),
      name,
      ...(env.natsUser ? { user: env.natsUser, pass: env.natsPassword ?? "" } : {}),
    });
  } catch (error) {
    throw natsFailure(error, env);
  }
}

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

/**
 * The AWS SDK resolves its region lazily, so a missing one would only surface after the vendor
 * has spent an STS call (requester) or on every request (worker). Resolve it up front instead.
 */
export async function requireAwsRegion(explicit: string | undefined, why: string): Promise<string> {
  const sts = new STSClient(explicit ? { region: explicit } : {});
  try {
    const region = await sts.config.region();
    if (region) return region;
  } catch {
    // "Region is missing": reported below.
  } finally {
    sts.destroy();
  }
  throw new CliFailure(`no AWS region: set AWS_REGION (e.g. us-east-1) or a region in your AWS profile; ${why}`);
}
