import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { CliFailure, parse, parseIntFlag, UsageError } from "../args.js";
import { requesterEnv } from "../cli-env.js";
import { cacheDirFromEnv } from "../requester/cache/dir.js";
import { HEALTH_PATH, MIN_TOKEN_LENGTH, requireLoopback, startContainerEndpoint } from "../requester/container-endpoint.js";
import { CredentialSource } from "../requester/credential-source.js";
import { shellQuote } from "../requester/formats.js";
import { RefreshingCredentials } from "../requester/refreshing.js";
import { shownError } from "../requester/shown-error.js";
import { REQUESTER_ENV_USAGE, requester, SPEC_OPTIONS, SPEC_USAGE, vendSpec } from "../requester/spec.js";
import { stopSignal } from "../stop-signal.js";

export const SERVE_USAGE = `usage: credvend serve --template T [--param k=v]... --token-file FILE [--port P] [--host H] [options]

A container-credentials endpoint as a long-running sidecar: every AWS SDK and the AWS CLI given
AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:P/credentials and the token
(AWS_CONTAINER_AUTHORIZATION_TOKEN, or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=FILE) fetch their
credentials there and renew them on their own. credvend renews them ahead of expiry. Requests
without the token, with a wrong one, from a browser, or naming a non-loopback Host are refused.
GET ${HEALTH_PATH} (no token) answers 200 while valid credentials are held, else 503. Prints the
two variables to set (no secret) and serves until SIGINT/SIGTERM.

  --token-file FILE     the token (at least ${MIN_TOKEN_LENGTH} characters); created (0600) with a random one if missing
  --port P              port to listen on (default 0: a free one, printed)
  --host H              127.0.0.1 (default), ::1 or localhost; any other address is refused
${SPEC_USAGE}

${REQUESTER_ENV_USAGE}`;

/** What an HTTP header value may hold and the SDKs send unchanged: visible ASCII, no space, no line break. */
const TOKEN_CHARACTERS = /^[\x21-\x7e]+$/;

export function loadOrCreateToken(file: string): string {
  if (!existsSync(file)) {
    // No trailing newline: the SDKs send the file's bytes as the Authorization header, unchanged.
    writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
  }
  // Whoever can read the token can take the credentials: like an ssh key, it must be the owner's alone.
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new CliFailure(`--token-file ${file} is readable by other users (mode ${mode.toString(8).padStart(4, "0")}); run chmod 600 ${file}`);
  const token = readFileSync(file, "utf8");
  const make = `e.g. openssl rand -base64 32 | tr -d '\\n' > ${file}`;
  // The AWS SDKs and CLI read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE as it is: the JS SDK sends a
  // trailing newline (which Node refuses to put in a header), botocore refuses it. Trimming it
  // here would make an endpoint that curl can use and no SDK can.
  if (!TOKEN_CHARACTERS.test(token)) {
    throw new CliFailure(`--token-file ${file}: the token must be one word of visible ASCII with no line break or space (the AWS SDKs send the file's bytes unchanged as the Authorization header, and refuse a newline); write it without one, ${make}`);
  }
  if (token.length < MIN_TOKEN_LENGTH) throw new CliFailure(`--token-file ${file}: the token must be at least ${MIN_TOKEN_LENGTH} characters (${make})`);
  return token;
}

export async function serveCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { values } = parse(argv, { ...SPEC_OPTIONS, port: { type: "string" }, host: { type: "string" }, "token-file": { type: "string" } });
  const host = requireLoopback(values.host ?? "127.0.0.1");
  const port = parseIntFlag("port", values.port, 65535) ?? 0;
  const tokenFile = values["token-file"];
  if (!tokenFile) throw new UsageError("--token-file is required: the file holding the token clients must send (created with a random one if missing)");
  const spec = vendSpec(values);
  const token = loadOrCreateToken(tokenFile);
  const source = new CredentialSource(spec, requester(requesterEnv()), { cacheDir: cacheDirFromEnv() });
  const credentials = new RefreshingCredentials(source, spec.refreshMarginMs, (error) => {
    process.stderr.write(`credvend serve: renewing credentials failed (will retry): ${shownError(error)}\n`);
  });
  const stop = stopSignal();
  try {
    await credentials.credentials();
    const endpoint = await startContainerEndpoint({ host, port, token, credentials });
    out(`export AWS_CONTAINER_CREDENTIALS_FULL_URI=${shellQuote(endpoint.url)}`);
    out(`export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=${shellQuote(path.resolve(tokenFile))}`);
    await stop.requested;
    await endpoint.close();
    return 0;
  } finally {
    stop.dispose();
    credentials.stop();
    source.close();
  }
}
