export { CredvendClient, type CredvendClientOptions, type VendRequest, type VendedCredentials } from "./client.js";
export { credvendCredentialProvider, type ProviderCredentials, type ProviderOptions } from "./provider.js";
export type { RetryStrategy } from "./retry.js";
export { CredvendError } from "@credvend/protocol";
