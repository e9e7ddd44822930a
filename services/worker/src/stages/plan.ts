import { PlanMemo, type CredvendConfig, type LintOptions } from "@credvend/policy";
import type { Stage } from "../pipeline/pipeline.js";
import type { Planned, Validated, WorkerStageContext } from "../pipeline/types.js";

/**
 * Entitle and render: the access rules decide whether this principal may use the template with
 * these parameters, and the template renders the exact STS call. Pure CPU, so it runs before the
 * rate limiter, which needs the plan's effective tenant and per-rule limits. Memoized (bounded): a
 * principal's repeated requests reuse the rendered plan with their own request id.
 */
export function planStage(currentConfig: () => CredvendConfig, options: LintOptions, memo = new PlanMemo()): Stage<Validated, Planned, WorkerStageContext> {
  return {
    name: "entitle+render",
    run(input, ctx) {
      const plan = memo.plan(currentConfig(), input.input, options);
      ctx.record.effectiveTenant = plan.effectiveTenant;
      return { ...input, plan };
    },
  };
}
