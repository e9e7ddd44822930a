// Negative caching: STS AccessDenied for a request is remembered for seconds, for the same
// (tenant, principal, template, parameters and every other input of the call), so a misconfigured
// client retrying in a loop, or many of them, cannot hammer STS. The key is a hash: no bearer
// input (MFA code, web identity token, SAML assertion) is kept, and a fresh MFA code or token is
// another key, so it still reaches STS.
import { createHash } from "node:crypto";
import { CredvendError } from "@credvend/protocol";
import type { VendInput } from "@credvend/policy";

export interface DeniedCacheOptions {
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly now: () => number;
}

export class DeniedCache {
  readonly #entries = new Map<string, { readonly until: number; readonly error: CredvendError }>();

  constructor(private readonly options: DeniedCacheOptions) {}

  static keyOf(input: VendInput): string {
    const { requestId: _perRequest, params, ...rest } = input;
    const sortedParams = Object.fromEntries(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : 1)));
    return createHash("sha256").update(JSON.stringify({ ...rest, params: sortedParams })).digest("base64url");
  }

  /** The remembered refusal for `key`, if any (a new error each time, marked as remembered). */
  recall(key: string): CredvendError | undefined {
    const hit = this.#entries.get(key);
    if (hit === undefined) return undefined;
    if (hit.until <= this.options.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return new CredvendError(hit.error.reason, `${hit.error.message} (remembered for ${Math.ceil((hit.until - this.options.now()) / 1000)} s more; fix the trust policy or the request, then retry)`);
  }

  remember(key: string, error: CredvendError): void {
    if (this.options.ttlMs <= 0) return;
    this.#entries.delete(key);
    // Oldest first out: a Map iterates in insertion order.
    while (this.#entries.size >= this.options.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, { until: this.options.now() + this.options.ttlMs, error });
  }

  get size(): number {
    return this.#entries.size;
  }
}
