import type { SeedSamlProvider } from "../seed/schema.js";
export interface SamlProvider { readonly arn: string }
export function buildSamlProvider(accountId: string, seed: SeedSamlProvider): SamlProvider {
  return { arn: `arn:aws:iam::${accountId}:saml-provider/${seed.name}` };
}
