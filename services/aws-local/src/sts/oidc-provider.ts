// A seeded IAM OIDC identity provider: its ARN, audiences, and where its signing keys come from
// (inline JWKS, a local file, or an http URL on loopback; aws-local makes no other network calls).
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { JSONWebKeySet } from "jose";
import type { SeedOidcProvider } from "../seed/schema.js";

export interface OidcProvider {
  readonly accountId: string;
  /** The issuer URL, e.g. https://idp.example.com/realm (compared with the token's `iss`). */
  readonly url: string;
  /** The URL without https://: the provider ARN's suffix and the prefix of its condition keys. */
  readonly hostPath: string;
  readonly arn: string;
  readonly clientIds: readonly string[];
  /** Reads the signing keys; rejects with JwksUnavailable when they can't be read. */
  keys(): Promise<JSONWebKeySet>;
}

/** The provider's keys could not be read (AWS: IDPCommunicationError). The reason names no secret. */
export class JwksUnavailable extends Error {
  override readonly name = "JwksUnavailable";
}

const FETCH_TIMEOUT_MS = 2_000;

export function buildOidcProvider(accountId: string, seed: SeedOidcProvider): OidcProvider {
  const hostPath = seed.url.slice("https://".length);
  const inline = seed.jwks as JSONWebKeySet | undefined;
  const uri = seed.jwks_uri;
  return {
    accountId,
    url: seed.url,
    hostPath,
    arn: `arn:aws:iam::${accountId}:oidc-provider/${hostPath}`,
    clientIds: seed.client_ids,
    async keys() {
      if (inline !== undefined) return inline;
      if (uri === undefined) throw new JwksUnavailable("the provider has no keys");
      return parseJwks(uri.startsWith("file:") ? await readJwksFile(uri) : await fetchJwks(uri), uri);
    },
  };
}

async function readJwksFile(uri: string): Promise<string> {
  try {
    return await readFile(fileURLToPath(uri), "utf8");
  } catch (err) {
    throw new JwksUnavailable(`cannot read ${uri}: ${(err as NodeJS.ErrnoException).code ?? "read failed"}`);
  }
}

async function fetchJwks(uri: string): Promise<string> {
  try {
    // redirect "error": a loopback URL must not bounce aws-local to another host.
    const res = await fetch(uri, { redirect: "error", signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) throw new JwksUnavailable(`${uri} answered HTTP ${res.status}`);
    return await res.text();
  } catch (err) {
    if (err instanceof JwksUnavailable) throw err;
    throw new JwksUnavailable(`cannot fetch ${uri}: ${(err as Error).name}`);
  }
}

function parseJwks(text: string, uri: string): JSONWebKeySet {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new JwksUnavailable(`${uri} is not JSON`);
  }
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new JwksUnavailable(`${uri} is not a JWKS ({"keys": [...]})`);
  return value as JSONWebKeySet;
}
