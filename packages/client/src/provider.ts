// fromCredvend: an AWS SDK v3 credential provider backed by credvend. Give it to any SDK client
// (`new S3Client({ credentials: fromCredvend({...}) })`). It caches, refreshes ahead of expiry
// with jitter, shares one vend among concurrent callers, never returns an expired credential and
// never falls back to other credentials: a failure is a CredvendError (code, reason, field).
import { createHash } from "node:crypto";
import { CredentialCache, type CredentialCacheOptions } from "./credential-cache.js";
import { CredvendClient, type CredvendClientOptions, type VendRequest } from "./client.js";

/** The AWS SDK's AwsCredentialIdentity shape. */
export interface ProviderCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** An AwsCredentialIdentityProvider: what the SDK clients take as `credentials`. */
export type CredvendProvider = () => Promise<ProviderCredentials>;

/**
 * What the provider asks for on every refresh. MFA is left out: a one-time code can not be sent
 * again by an unattended refresh.
 */
export type ProviderRequest = Pick<VendRequest, "template" | "params" | "durationSeconds" | "onBehalfOf" | "federation">;

export interface FromCredvendOptions extends ProviderRequest, CredentialCacheOptions {
  /** An existing client (shared, e.g. one per process), or the options to make one with. */
  readonly client: CredvendClient | CredvendClientOptions;
  /**
   * Where credentials are kept. Default: one cache per provider. Providers may share one; its
   * entries are keyed on everything that changes the credential, so they share only identical
   * requests by the same client. The cache's own options then come from the cache.
   */
  readonly cache?: CredentialCache;
}

/** Ids for client instances: two clients (other NATS connections or identities) never share an entry. */
const clientIds = new WeakMap<CredvendClient, number>();
let nextClientId = 1;

function clientId(client: CredvendClient): number {
  let id = clientIds.get(client);
  if (id === undefined) {
    id = nextClientId++;
    clientIds.set(client, id);
  }
  return id;
}

/**
 * The cache key: the client instance and its identity (tenant, principal, reply key or sealed
 * replies), the template, every parameter, the duration, on_behalf_of and the federation inputs
 * (as a hash: they may be bearer tokens).
 */
export function providerCacheKey(client: CredvendClient, request: ProviderRequest): string {
  const { tenant, principal, replies } = client.identity;
  const params = Object.entries(request.params ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const federation = request.federation
    ? createHash("sha256").update(JSON.stringify([request.federation.webIdentityToken ?? "", request.federation.providerId ?? "", request.federation.samlAssertion ?? "", request.federation.samlProviderArn ?? ""])).digest("base64url")
    : "";
  return JSON.stringify([clientId(client), tenant, principal, replies, request.template, params, request.durationSeconds ?? 0, request.onBehalfOf ?? "", federation]);
}

export function fromCredvend(options: FromCredvendOptions): CredvendProvider {
  const client = options.client instanceof CredvendClient ? options.client : new CredvendClient(options.client);
  const request: ProviderRequest = {
    template: options.template,
    ...(options.params ? { params: { ...options.params } } : {}),
    ...(options.durationSeconds ? { durationSeconds: options.durationSeconds } : {}),
    ...(options.onBehalfOf ? { onBehalfOf: options.onBehalfOf } : {}),
    ...(options.federation ? { federation: { ...options.federation } } : {}),
  };
  const cache = options.cache ?? new CredentialCache(options);
  const key = providerCacheKey(client, request);
  return async () => {
    const c = await cache.get(key, () => client.request(request));
    return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: c.expiration };
  };
}

/** @deprecated Use fromCredvend({ client, template, ... }). */
export function credvendCredentialProvider(client: CredvendClient, request: ProviderRequest, options: { readonly refreshBeforeMs?: number } = {}): CredvendProvider {
  return fromCredvend({ client, ...request, ...options });
}
