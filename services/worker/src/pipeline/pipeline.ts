// The request pipeline as data: an ordered list of named stages, composed so that the compiler
// checks each stage accepts what the previous one produces. A stage may finish a request early
// (e.g. an idempotent replay) by returning a Finished value.
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

export interface Stage<I, O> {
  readonly name: string;
  run(input: I, ctx: StageContext): O | Finished | Promise<O | Finished>;
}

type Runner<I, O> = (input: I, ctx: StageContext) => Promise<O | Finished>;

export class Pipeline<I, O> {
  private constructor(readonly stageNames: readonly string[], private readonly runner: Runner<I, O>) {}

  static start<I, O>(stage: Stage<I, O>): Pipeline<I, O> {
    return new Pipeline<I, O>([stage.name], guarded(stage));
  }

  then<N>(stage: Stage<O, N>): Pipeline<I, N> {
    const previous = this.runner;
    const next = guarded(stage);
    return new Pipeline<I, N>([...this.stageNames, stage.name], async (input, ctx) => {
      const out = await previous(input, ctx);
      return out instanceof Finished ? out : next(out, ctx);
    });
  }

  run(input: I, ctx: StageContext): Promise<O | Finished> {
    return this.runner(input, ctx);
  }

  describe(): string {
    return this.stageNames.join(" ▶ ");
  }
}

function guarded<I, O>(stage: Stage<I, O>): Runner<I, O> {
  return async (input, ctx) => {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    return stage.run(input, ctx);
  };
}
