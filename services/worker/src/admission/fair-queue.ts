// Admission before anything is queued: a bounded number of requests run at once, the rest wait
// in one FIFO queue per principal, and a free slot goes round-robin over tenants and, within a
// tenant, over its principals. One principal (or tenant) flooding the worker fills only its own
// queue and its own share of the slots; everybody else is still served in turn. Pure bookkeeping
// (no I/O), so it is tested on its own.

export interface AdmissionLimits {
  /** Requests running at once on this worker. */
  readonly maxInFlight: number;
  /** Requests waiting, all principals together. */
  readonly maxQueued: number;
  /** Payload bytes waiting, all principals together. */
  readonly maxQueuedBytes: number;
  readonly principalMaxInFlight: number;
  readonly principalMaxQueued: number;
  readonly tenantMaxInFlight: number;
  readonly tenantMaxQueued: number;
}

export interface Caller {
  readonly tenant: string;
  readonly principal: string;
}

/** Why a request was not admitted: which bound it hit. */
export type Refusal =
  | { readonly kind: "worker"; readonly inFlight: number; readonly queued: number; readonly queuedBytes: number }
  | { readonly kind: "tenant" | "principal"; readonly inFlight: number; readonly queued: number };

export type Offer = { readonly admitted: "started" | "queued" } | { readonly admitted: false; readonly refusal: Refusal };

interface Waiting<T> {
  readonly item: T;
  readonly bytes: number;
}

interface PrincipalState<T> {
  inFlight: number;
  readonly queue: Waiting<T>[];
}

interface TenantState<T> {
  inFlight: number;
  queued: number;
  /** Principals with queued work or requests in flight; insertion order is the round-robin order. */
  readonly principals: Map<string, PrincipalState<T>>;
}

export class FairQueue<T> {
  readonly #limits: AdmissionLimits;
  readonly #start: (item: T, caller: Caller) => void;
  /** Tenants with queued work or requests in flight; insertion order is the round-robin order. */
  readonly #tenants = new Map<string, TenantState<T>>();
  #inFlight = 0;
  #queued = 0;
  #queuedBytes = 0;

  /** `start` runs an admitted item; the owner calls done() with the same caller when it finishes. */
  constructor(limits: AdmissionLimits, start: (item: T, caller: Caller) => void) {
    this.#limits = limits;
    this.#start = start;
  }

  get inFlight(): number { return this.#inFlight; }
  get queued(): number { return this.#queued; }
  get queuedBytes(): number { return this.#queuedBytes; }

  /** Starts the item now if its caller has a free slot and nobody of its own waits ahead of it; else queues it, or refuses it. */
  offer(caller: Caller, item: T, bytes: number): Offer {
    const l = this.#limits;
    const tenant = this.#tenant(caller.tenant);
    const principal = this.#principal(tenant, caller.principal);
    if (principal.queue.length === 0 && this.#canStart(tenant, principal)) {
      this.#run(tenant, principal, caller, item);
      return { admitted: "started" };
    }
    let refusal: Refusal | undefined;
    if (principal.queue.length >= l.principalMaxQueued) refusal = { kind: "principal", inFlight: principal.inFlight, queued: principal.queue.length };
    else if (tenant.queued >= l.tenantMaxQueued) refusal = { kind: "tenant", inFlight: tenant.inFlight, queued: tenant.queued };
    else if (this.#queued >= l.maxQueued || this.#queuedBytes + bytes > l.maxQueuedBytes) {
      refusal = { kind: "worker", inFlight: this.#inFlight, queued: this.#queued, queuedBytes: this.#queuedBytes };
    }
    if (refusal) {
      this.#forgetIfIdle(caller.tenant, tenant, caller.principal, principal);
      return { admitted: false, refusal };
    }
    principal.queue.push({ item, bytes });
    tenant.queued += 1;
    this.#queued += 1;
    this.#queuedBytes += bytes;
    return { admitted: "queued" };
  }

  /** A started item finished: its slot goes to the next caller in turn. */
  done(caller: Caller): void {
    const tenant = this.#tenants.get(caller.tenant);
    const principal = tenant?.principals.get(caller.principal);
    if (!tenant || !principal || principal.inFlight === 0) throw new Error(`FairQueue.done without a running item for ${caller.tenant}/${caller.principal}`);
    principal.inFlight -= 1;
    tenant.inFlight -= 1;
    this.#inFlight -= 1;
    this.#forgetIfIdle(caller.tenant, tenant, caller.principal, principal);
    this.#dispatch();
  }

  /** Empties every queue (shutdown), returning what was waiting. */
  drain(): T[] {
    const out: T[] = [];
    for (const [tenantName, tenant] of this.#tenants) {
      for (const [name, principal] of tenant.principals) {
        for (const w of principal.queue.splice(0)) out.push(w.item);
        this.#forgetIfIdle(tenantName, tenant, name, principal);
      }
      tenant.queued = 0;
    }
    this.#queued = 0;
    this.#queuedBytes = 0;
    return out;
  }

  #canStart(tenant: TenantState<T>, principal: PrincipalState<T>): boolean {
    const l = this.#limits;
    return this.#inFlight < l.maxInFlight && tenant.inFlight < l.tenantMaxInFlight && principal.inFlight < l.principalMaxInFlight;
  }

  #run(tenant: TenantState<T>, principal: PrincipalState<T>, caller: Caller, item: T): void {
    principal.inFlight += 1;
    tenant.inFlight += 1;
    this.#inFlight += 1;
    this.#start(item, caller);
  }

  /** Fills free slots: one item per turn, tenants in round-robin, principals in round-robin within each. */
  #dispatch(): void {
    while (this.#inFlight < this.#limits.maxInFlight && this.#queued > 0) {
      const next = this.#nextInTurn();
      if (!next) return;
      const { tenantName, tenant, principalName, principal } = next;
      const waiting = principal.queue.shift();
      if (!waiting) return;
      tenant.queued -= 1;
      this.#queued -= 1;
      this.#queuedBytes -= waiting.bytes;
      // Served callers go to the back of their ring.
      this.#tenants.delete(tenantName);
      this.#tenants.set(tenantName, tenant);
      tenant.principals.delete(principalName);
      tenant.principals.set(principalName, principal);
      this.#run(tenant, principal, { tenant: tenantName, principal: principalName }, waiting.item);
    }
  }

  #nextInTurn(): { tenantName: string; tenant: TenantState<T>; principalName: string; principal: PrincipalState<T> } | undefined {
    for (const [tenantName, tenant] of this.#tenants) {
      if (tenant.queued === 0 || tenant.inFlight >= this.#limits.tenantMaxInFlight) continue;
      for (const [principalName, principal] of tenant.principals) {
        if (principal.queue.length > 0 && principal.inFlight < this.#limits.principalMaxInFlight) return { tenantName, tenant, principalName, principal };
      }
    }
    return undefined;
  }

  #tenant(name: string): TenantState<T> {
    let t = this.#tenants.get(name);
    if (!t) {
      t = { inFlight: 0, queued: 0, principals: new Map() };
      this.#tenants.set(name, t);
    }
    return t;
  }

  #principal(tenant: TenantState<T>, name: string): PrincipalState<T> {
    let p = tenant.principals.get(name);
    if (!p) {
      p = { inFlight: 0, queue: [] };
      tenant.principals.set(name, p);
    }
    return p;
  }

  /** Idle callers are dropped, so memory follows the callers that are active, not every one ever seen. */
  #forgetIfIdle(tenantName: string, tenant: TenantState<T>, principalName: string, principal: PrincipalState<T>): void {
    if (principal.inFlight === 0 && principal.queue.length === 0) tenant.principals.delete(principalName);
    if (tenant.principals.size === 0) this.#tenants.delete(tenantName);
  }
}
