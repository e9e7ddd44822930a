// An AWS SDK credential provider backed by credvend: memoised, refreshed ahead of expiry,
// single-flight (concurrent SDK calls share one vend).
import type { CredvendClient, VendRequest } from "./client.js";

export interface ProviderCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

export interface ProviderOptions {
  /** Refresh this long before expiry. Default 5 minutes (the SDK's own window). */
  readonly refreshBeforeMs?: number;
}

export function credvendCredentialProvider(client: CredvendClient, request: Omit<VendRequest, "requestId">, options: ProviderOptions = {}): () => Promise<ProviderCredentials> {
  const refreshBeforeMs = options.refreshBeforeMs ?? 5 * 60_000;
  let current: ProviderCredentials | undefined;
  let pending: Promise<ProviderCredentials> | undefined;
  return async () => {
    if (current && current.expiration.getTime() - Date.now() > refreshBeforeMs) return current;
    pending ??= client.request(request).then((c) => {
      current = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: c.expiration };
      return current;
    }).finally(() => { pending = undefined; });
    return pending;
  };
}
