// The request pipeline as data: an ordered list of named stages, composed so that the compiler
// checks each stage accepts what the previous one produces. A stage may finish a request early
// (e.g. an idempotent replay) by returning a Finished value. The context type is a parameter, so
// a stage that needs more than the base context says so in its type instead of downcasting.
import type { Logger } from "pino";

export interface StageContext {
  readonly log: Logger;
  /** Aborts when the request's deadline passes or the worker stops. */
  readonly signal: AbortSignal;
  readonly now: () => number;
}

/** A request that is answered before the last stage: the reply bytes are final. */
export class Finished {
  constructor(readonly reply: Uint8Array, readonly outcome: string) {}
}

export interface Stage<I, O, C extends StageContext = StageContext> {
  readonly name: string;
  run(input: I, ctx: C): O | Finished | Promise<O | Finished>;
}

/** Told how long each stage took, whether it returned, finished early or threw. */
export type StageObserver = (stage: string, ms: number) => void;

type Runner<I, O, C> = (input: I, ctx: C, observe: StageObserver) => Promise<O | Finished>;

export class Pipeline<I, O, C extends StageContext = StageContext> {
  private constructor(readonly stageNames: readonly string[], private readonly runner: Runner<I, O, C>) {}

  static start<I, O, C extends StageContext>(stage: Stage<I, O, C>): Pipeline<I, O, C> {
    return new Pipeline<I, O, C>([stage.name], guarded(stage));
  }

  then<N>(stage: Stage<O, N, C>): Pipeline<I, N, C> {
    const previous = this.runner;
    const next = guarded(stage);
    return new Pipeline<I, N, C>([...this.stageNames, stage.name], async (input, ctx, observe) => {
      const out = await previous(input, ctx, observe);
      return out instanceof Finished ? out : next(out, ctx, observe);
    });
  }

  run(input: I, ctx: C, observe: StageObserver = () => undefined): Promise<O | Finished> {
    return this.runner(input, ctx, observe);
  }

  describe(): string {
    return this.stageNames.join(" ▶ ");
  }
}

/** Each stage is checked for an abort before it starts, and timed from outside. */
function guarded<I, O, C extends StageContext>(stage: Stage<I, O, C>): Runner<I, O, C> {
  return async (input, ctx, observe) => {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const started = performance.now();
    try {
      return await stage.run(input, ctx);
    } finally {
      observe(stage.name, performance.now() - started);
    }
  };
}
