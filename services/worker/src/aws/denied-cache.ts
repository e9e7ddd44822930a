// Negative caching: STS AccessDenied for a call is remembered for seconds, so a misconfigured
// client retrying in a loop, or many of them, cannot hammer STS. The key is the STS call itself
// (operation, every input sent but what only the request id sets, and the profile it is signed
// with), with the template and the caller it was made for: a config reload that changes what a
// request sends (another role, policy or tags) is another key and reaches STS at once, and a
// refusal is never answered to a caller it was not made for. The key is a hash: no bearer input
// (MFA code, web identity token, SAML assertion) is kept, and a fresh MFA code or token is
// another key, so it still reaches STS. Bounded and shared fairly by the caller's tenant
// (FairShareLru): a tenant flooding distinct refused calls evicts its own refusals, never another
// tenant's (each would cost that tenant an STS call per TTL again).
import { createHash } from "node:crypto";
import { CredvendError, FairShareLru } from "@credvend/protocol";
import { stsRequest, withRequestId, type StsPlan } from "@credvend/policy";

/** Stands for every request id: retries under fresh ids are the same call to STS. */
const ANY_REQUEST_ID = "*";

export interface DeniedCacheOptions {
  readonly ttlMs: number;
  readonly maxEntries: number;
  readonly now: () => number;
}

export class DeniedCache {
  readonly #entries: FairShareLru<{ readonly until: number; readonly error: CredvendError }>;

  constructor(private readonly options: DeniedCacheOptions) {
    this.#entries = new FairShareLru(options.maxEntries);
  }

  static keyOf(plan: StsPlan): string {
    const signedWith = plan.kind === "session_token" || plan.kind === "federation_token" ? plan.credentialProfile : "";
    const { operation, input } = stsRequest(withRequestId(plan, ANY_REQUEST_ID));
    const call = { operation, input, signedWith, template: plan.template, tenant: plan.effectiveTenant, caller: plan.callerTenant, principal: plan.principal };
    return createHash("sha256").update(JSON.stringify(call)).digest("base64url");
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

  /** Remembers STS's refusal of the call `key`, made for a caller of `tenant`. */
  remember(key: string, tenant: string, error: CredvendError): void {
    if (this.options.ttlMs <= 0) return;
    this.#entries.set(key, tenant, { until: this.options.now() + this.options.ttlMs, error });
  }

  get size(): number {
    return this.#entries.size;
  }
}
