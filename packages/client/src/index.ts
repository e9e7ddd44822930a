export { CredvendClient, type CredvendClientOptions, type VendRequest, type VendedCredentials } from "./client.js";
export { credvendCredentialProvider, fromCredvend, providerCacheKey, type CredvendProvider, type FromCredvendOptions, type ProviderCredentials, type ProviderRequest } from "./provider.js";
export { CredentialCache, DEFAULT_REFRESH_BEFORE_MS, DEFAULT_REFRESH_JITTER_MS, MIN_USABLE_MS, type CredentialCacheOptions } from "./credential-cache.js";
export type { RetryStrategy } from "./retry.js";
export { CredvendError } from "@credvend/protocol";
