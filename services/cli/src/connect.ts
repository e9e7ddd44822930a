// Connections the one-shot commands make, with failures turned into one line that names the
// setting to fix (NATS_URL, NATS_USER/NATS_PASSWORD, AWS_REGION) instead of a client library's code.
import { STSClient } from "@aws-sdk/client-sts";
import { connect, type NatsConnection } from "nats";
import { CliFailure } from "./args.js";
import { NatsPermissionDenied, natsFailure } from "./nats-failure.js";
import type { RequesterEnv } from "./cli-env.js";

/** `inboxPrefix`: where this connection's replies arrive, for a user that may subscribe only there. */
export async function connectNats(env: RequesterEnv, name: string, inboxPrefix?: string): Promise<NatsConnection> {
  try {
    return await connect({
      servers: env.natsUrl.split(","),
      name,
      ...(inboxPrefix === undefined ? {} : { inboxPrefix }),
      ...(env.natsUser ? { user: env.natsUser, pass: env.natsPassword ?? "" } : {}),
    });
  } catch (error) {
    throw natsFailure(error, env);
  }
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

/**
 * Aborts when NATS refuses this connection a publish or a subscription. nats.js reports a refused
 * publish only as a status event, so a request would otherwise wait out every attempt's timeout
 * and end as "no reply" or "no vendor listening"; pass the signal to the request instead.
 */
export function permissionDeniedSignal(nc: NatsConnection): AbortSignal {
  const controller = new AbortController();
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type !== "error" || s.data !== "PERMISSIONS_VIOLATION") continue;
      const context = (s as { permissionContext?: { operation?: string; subject?: string } }).permissionContext;
      controller.abort(new NatsPermissionDenied(context?.operation === "publish" ? "publish" : "subscription", context?.subject ?? "?"));
      return;
    }
  })();
  return controller.signal;
}
