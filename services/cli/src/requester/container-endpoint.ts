// The container credentials endpoint every AWS SDK and the CLI know (ECS, EKS Pod Identity): GET
// with the token in Authorization, answer {AccessKeyId, SecretAccessKey, Token, Expiration}. The
// SDKs refresh from it on their own before expiry. Loopback only: the SDKs themselves accept an
// http:// FULL_URI only on loopback, and nothing off this machine has any business asking. The
// token is compared in constant time; browsers (an Origin header) and non-loopback Host headers
// (DNS rebinding) are refused before the token is even looked at.
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { isIP, type AddressInfo } from "node:net";
import { UsageError } from "../args.js";
import type { RefreshingCredentials } from "./refreshing.js";
import { shownError } from "./shown-error.js";

export const CREDENTIALS_PATH = "/credentials";
export const HEALTH_PATH = "/healthz";
/** Tokens shorter than this are refused: the endpoint hands out credentials to whoever holds it. */
export const MIN_TOKEN_LENGTH = 32;

export interface ContainerEndpoint {
  /** The AWS_CONTAINER_CREDENTIALS_FULL_URI value. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** 127.0.0.0/8, ::1 and localhost; anything else is refused as a usage error. */
export function requireLoopback(host: string): string {
  const loopback = host === "localhost" || host === "::1" || (isIP(host) === 4 && host.startsWith("127."));
  if (!loopback) throw new UsageError(`--host ${JSON.stringify(host)} is not a loopback address: the credentials endpoint listens on 127.0.0.1, ::1 or localhost only`);
  return host;
}

const digest = (value: string): Buffer => createHash("sha256").update(value).digest();

function loopbackHost(header: string | undefined): boolean {
  if (!header) return false;
  const name = header.startsWith("[") ? header.slice(1, header.indexOf("]")) : header.replace(/:\d+$/, "");
  return name === "localhost" || name === "::1" || (isIP(name) === 4 && name.startsWith("127."));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

export async function startContainerEndpoint(o: { readonly host: string; readonly port: number; readonly token: string; readonly credentials: RefreshingCredentials }): Promise<ContainerEndpoint> {
  requireLoopback(o.host);
  if (o.token.length < MIN_TOKEN_LENGTH) throw new UsageError(`the endpoint's token must be at least ${MIN_TOKEN_LENGTH} characters`);
  const expected = digest(o.token);
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.headers.origin !== undefined || !loopbackHost(req.headers.host)) return send(res, 403, { code: "Forbidden", message: "requests must come from this machine, not a browser" });
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method !== "GET") return send(res, 405, { code: "MethodNotAllowed", message: "GET only" });
    if (url.pathname === HEALTH_PATH) {
      const ok = o.credentials.healthy();
      return send(res, ok ? 200 : 503, { status: ok ? "ok" : "no-credentials" });
    }
    if (url.pathname !== CREDENTIALS_PATH) return send(res, 404, { code: "NotFound", message: `credentials are at ${CREDENTIALS_PATH}` });
    const given = req.headers.authorization;
    if (given === undefined) return send(res, 401, { code: "Unauthorized", message: "send the token in the Authorization header (AWS_CONTAINER_AUTHORIZATION_TOKEN)" });
    // Digests have one length, so the comparison takes the same time whatever was sent.
    if (!timingSafeEqual(digest(given), expected)) return send(res, 403, { code: "Forbidden", message: "wrong token" });
    try {
      const c = await o.credentials.credentials();
      return send(res, 200, { AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, Token: c.sessionToken, Expiration: c.expiration.toISOString(), ...(c.arn ? { RoleArn: c.arn } : {}) });
    } catch (error) {
      const reason = (error as { reason?: unknown } | null)?.reason;
      return send(res, 503, { code: "CredentialsUnavailable", reason: typeof reason === "string" ? reason : undefined, message: `credvend could not renew the credentials: ${shownError(error)}` });
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { code: "InternalError" }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host.includes(":") ? `[${o.host}]` : o.host;
  return {
    url: `http://${host}:${port}${CREDENTIALS_PATH}`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
