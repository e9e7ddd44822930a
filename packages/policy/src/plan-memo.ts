// Memoized planRequest for the worker's hot path. A plan depends on the config and on every field
// of the request's VendInput (which rules it may use, what it renders); the request id only sets
// the session name and the request-id session tag, unless the template renders {{request_id}}
// somewhere. So a plan computed once per (config, the other fields) is reused for later request ids
// by rebinding those two fields, and the access rules, the rendered policy, the rate limits and the
// reuse key are not recomputed. Keyed by the config object, so a reloaded config never serves a
// plan of the old one. Bounded and shared fairly by the caller's tenant (FairShareLru): one tenant
// sending many distinct requests evicts its own plans, not every other tenant's.
import { FairShareLru } from "@credvend/protocol";
import { planRequest } from "./plan.js";
import { checkRequestFields, type VendInput } from "./plan-inputs.js";
import type { StsPlan } from "./plan-types.js";
import type { CredvendConfig, Template } from "./schema.js";
import { roleSessionName, TAG_REQUEST_ID } from "./session.js";
import type { LintOptions } from "./lint-template.js";

export interface PlanMemoOptions {
  /** Distinct (identity, template, parameters, duration) plans held per config. */
  readonly maxEntries: number;
}

export const DEFAULT_PLAN_MEMO: PlanMemoOptions = { maxEntries: 10_000 };
/** One object, so that callers passing no options keep the memo (it is keyed by identity). */
const NO_OPTIONS: LintOptions = Object.freeze({});

/**
 * How the memo treats each field of VendInput. A field that changes what planRequest checks or
 * renders and is missing from the key would let one request be served another's plan (a sealed
 * reply under a rule that refuses them, say), so the list is exhaustive by type: a field added to
 * VendInput does not compile until it is placed here.
 * - key: part of the memo key;
 * - rebound: set afresh on each memoized plan (withRequestId);
 * - afresh: present means the request is planned afresh (per-request secrets, never kept).
 */
const INPUT_FIELDS = {
  tenant: "key",
  principal: "key",
  onBehalfOf: "key",
  template: "key",
  params: "key",
  durationSeconds: "key",
  sealedReply: "key",
  requestId: "rebound",
  mfa: "afresh",
  federation: "afresh",
} as const satisfies { readonly [K in keyof Required<VendInput>]: "key" | "rebound" | "afresh" };

type InputField = keyof typeof INPUT_FIELDS;
const FIELDS = Object.keys(INPUT_FIELDS) as InputField[];
const KEY_FIELDS = FIELDS.filter((f) => INPUT_FIELDS[f] === "key");
const AFRESH_FIELDS = FIELDS.filter((f) => INPUT_FIELDS[f] === "afresh");

export class PlanMemo {
  #config: CredvendConfig | undefined;
  #options: LintOptions | undefined;
  readonly #plans: FairShareLru<StsPlan>;
  readonly #usesRequestId = new WeakMap<Template, boolean>();
  #hits = 0;

  constructor(memo: PlanMemoOptions = DEFAULT_PLAN_MEMO) {
    this.#plans = new FairShareLru(memo.maxEntries);
  }

  /** The same plan planRequest(config, input, options) returns; errors are never memoized. */
  plan(config: CredvendConfig, input: VendInput, options: LintOptions = NO_OPTIONS): StsPlan {
    if (config !== this.#config || options !== this.#options) {
      this.#plans.clear();
      this.#config = config;
      this.#options = options;
    }
    const key = this.#keyOf(config, input);
    if (key === undefined) return planRequest(config, input, options);
    const hit = this.#plans.get(key);
    if (hit !== undefined) {
      // The request's own fields are still checked per request (the request id above all).
      checkRequestFields(input);
      this.#hits += 1;
      return withRequestId(hit, input.requestId);
    }
    const plan = planRequest(config, input, options);
    this.#plans.set(key, input.tenant, plan);
    return plan;
  }

  get size(): number {
    return this.#plans.size;
  }

  /** Plans served from the memo (not planned afresh) since it was made. */
  get hits(): number {
    return this.#hits;
  }

  /** undefined: this request is planned afresh every time (per-request secrets or {{request_id}}). */
  #keyOf(config: CredvendConfig, input: VendInput): string | undefined {
    if (AFRESH_FIELDS.some((f) => input[f] !== undefined)) return undefined;
    const tpl = Object.hasOwn(config.templates, input.template) ? config.templates[input.template] : undefined;
    if (tpl === undefined || this.#rendersRequestId(tpl)) return undefined;
    return JSON.stringify(KEY_FIELDS.map((f) => (f === "params" ? sortedEntries(input.params) : (input[f] ?? null))));
  }

  #rendersRequestId(tpl: Template): boolean {
    let uses = this.#usesRequestId.get(tpl);
    if (uses === undefined) {
      // Conservative: any mention anywhere in the template plans afresh.
      uses = JSON.stringify(tpl).includes("request_id");
      this.#usesRequestId.set(tpl, uses);
    }
    return uses;
  }
}

/** A plan for another request id: its session name and request-id tag, nothing else. */
export function withRequestId(plan: StsPlan, requestId: string): StsPlan {
  const next = { ...plan, requestId } as StsPlan & { roleSessionName?: string; tags?: readonly { key: string; value: string }[] };
  if ("roleSessionName" in plan) next.roleSessionName = roleSessionName(plan.callerTenant, plan.principal, requestId);
  if ("tags" in plan) {
    next.tags = Object.freeze(plan.tags.map((t) => (t.key === TAG_REQUEST_ID && t.value === plan.requestId ? Object.freeze({ key: t.key, value: requestId }) : t)));
  }
  return Object.freeze(next);
}

function sortedEntries(params: Readonly<Record<string, string>>): [string, string | undefined][] {
  return Object.keys(params).sort().map((k) => [k, params[k]]);
}
