// A platform backend acting for its customers: one credvend client (the platform's own NATS and
// AWS identity), one credential provider per customer tenant (`on_behalf_of`), all in one cache
// keyed on the tenant among everything else, so a customer's credentials are never handed out for
// another customer.
import { CredentialCache, fromCredvend, type CredvendClient, type CredvendProvider } from "@credvend/client";

export interface TenantCredentialsOptions {
  readonly template: string;
  /** Parameters for every tenant's request (e.g. the bucket); the tenant itself is bound by the template. */
  readonly params?: Readonly<Record<string, string>>;
  readonly durationSeconds?: number;
  /** Tenants whose providers are kept at once; the least recently created goes first. Default 1000. */
  readonly maxTenants?: number;
}

/** Tenant names as credvend spells them; anything else is refused before a request is sent. */
const TENANT = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export class TenantCredentials {
  private readonly providers = new Map<string, CredvendProvider>();
  private readonly cache: CredentialCache;
  private readonly maxTenants: number;

  constructor(private readonly client: CredvendClient, private readonly options: TenantCredentialsOptions) {
    this.maxTenants = Math.max(1, options.maxTenants ?? 1000);
    this.cache = new CredentialCache({ maxEntries: this.maxTenants });
  }

  /** The AWS SDK credential provider for `tenant`, made on first use. */
  for(tenant: string): CredvendProvider {
    if (!TENANT.test(tenant)) throw new RangeError(`'${tenant.slice(0, 80)}' is not a tenant name (1-64 of a-z, 0-9, '-', '_')`);
    const known = this.providers.get(tenant);
    if (known) return known;
    if (this.providers.size >= this.maxTenants) {
      const oldest = this.providers.keys().next();
      if (!oldest.done) this.providers.delete(oldest.value);
    }
    const { template, params, durationSeconds } = this.options;
    const provider = fromCredvend({
      client: this.client,
      cache: this.cache,
      template,
      onBehalfOf: tenant,
      ...(params ? { params } : {}),
      ...(durationSeconds ? { durationSeconds } : {}),
    });
    this.providers.set(tenant, provider);
    return provider;
  }
}
