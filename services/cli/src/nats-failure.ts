// A NATS client error as one line that names the setting to fix. Apart from connect.ts so that
// the failure path (index.ts) can use it without loading the NATS client.
import { redactUrls } from "@credvend/protocol";
import { CliFailure } from "./args.js";
import type { RequesterEnv } from "./cli-env.js";

const PERMISSIONS_VIOLATION = "PERMISSIONS_VIOLATION";

/**
 * NATS refused this connection a publish or a subscription (nats-server's -ERR, which nats.js
 * reports as a status event, not as a failed call). Raised as an abort reason, so a command stops
 * at once instead of waiting for a reply that can not come.
 */
export class NatsPermissionDenied extends Error {
  override readonly name = "NatsPermissionDenied";
  readonly code = PERMISSIONS_VIOLATION;
  constructor(readonly operation: "publish" | "subscription", readonly subject: string) {
    super(`Permissions Violation for ${operation === "publish" ? "Publish" : "Subscription"} to "${subject}"`);
  }
}

/** The first error in the `cause` chain with the given code (the client wraps NATS errors). */
function withCode(error: unknown, code: string): Error | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === code) return e;
  }
  return undefined;
}

/** What to fix when a requester's own subjects are refused: its identity is its NATS user. */
function requesterHint(subject: string, env: RequesterEnv): string {
  if (!/^credvend\.v1\.(?:req|reply)\./.test(subject)) return "use a NATS user whose permissions allow it";
  const identity = env.tenant && env.principal ? `${env.tenant}/${env.principal} (CREDVEND_TENANT/CREDVEND_PRINCIPAL)` : "the tenant and principal";
  return `a requester may use only its own subjects, so NATS_USER must be the user credvend nats-config generated for ${identity}`;
}

/**
 * NATS_URL as an error line may show it: nats://user:pass@host and nats://token@host are common
 * ways to give credentials, and these lines reach terminals, CI logs and an endpoint's 503 body.
 */
export function shownNatsUrl(env: Pick<RequesterEnv, "natsUrl">): string {
  return redactUrls(env.natsUrl);
}

/**
 * Node's codes for a server certificate this process does not trust (no CA, a self-signed one) or
 * that names another host; nats.js passes the TLS error on unchanged.
 */
const UNTRUSTED_CERTIFICATE = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "CERT_UNTRUSTED",
]);
const CERTIFICATE_DATES = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);

/** A NATS error as one actionable line; anything unrecognised is returned unchanged. */
export function natsFailure(error: unknown, env: RequesterEnv): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const url = shownNatsUrl(env);
  const who = env.natsUser ? `user ${JSON.stringify(env.natsUser)}` : "an anonymous client (NATS_USER is not set)";
  // new URL() refused a server of NATS_URL: said without the value, which may hold a password.
  if (code === "ERR_INVALID_URL") {
    return new CliFailure("NATS_URL is not a valid URL: give nats://host:port or tls://host:port, comma-separated for a cluster");
  }
  if (typeof code === "string" && UNTRUSTED_CERTIFICATE.has(code)) {
    return new CliFailure(`NATS at ${url} presented a TLS certificate this machine does not trust (${code}): set NODE_EXTRA_CA_CERTS to the CA file that signed it`);
  }
  if (typeof code === "string" && CERTIFICATE_DATES.has(code)) {
    return new CliFailure(`NATS at ${url} presented a TLS certificate that is not valid now (${code}): renew the server's certificate or check this machine's clock`);
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return new CliFailure(`NATS at ${url} presented a TLS certificate for another host name: use in NATS_URL a host name the certificate names`);
  }
  if (code === "CONNECTION_REFUSED" || code === "ECONNREFUSED") {
    return new CliFailure(`cannot connect to NATS at ${url} (connection refused): start nats-server or set NATS_URL`);
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new CliFailure(`cannot connect to NATS at ${url} (unknown host): check NATS_URL`);
  }
  if (code === "CONNECTION_TIMEOUT" || code === "TIMEOUT") {
    return new CliFailure(`NATS at ${url} did not answer in time: check NATS_URL`);
  }
  if (code === "AUTHORIZATION_VIOLATION" || code === "BAD_AUTHENTICATION") {
    return new CliFailure(`NATS at ${url} refused ${who}: check NATS_USER and NATS_PASSWORD`);
  }
  // Directly, or under the client's own error (a refused subscription, an aborted request).
  const denied = withCode(error, PERMISSIONS_VIOLATION);
  if (denied) {
    const subject = / to "(\S+)"/.exec(denied.message)?.[1] ?? "";
    return new CliFailure(`NATS denied ${who}: ${denied.message.replace(/^'|'$/g, "")}; ${requesterHint(subject, env)}`);
  }
  return error;
}
