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

/** A stage as the runner holds it: the types are checked where the list is built (then()). */
type AnyStage<C extends StageContext> = Stage<unknown, unknown, C>;

export class Pipeline<I, O, C extends StageContext = StageContext> {
  private constructor(private readonly stages: readonly AnyStage<C>[]) {}

  static start<I, O, C extends StageContext>(stage: Stage<I, O, C>): Pipeline<I, O, C> {
    return new Pipeline<I, O, C>([stage as AnyStage<C>]);
  }

  then<N>(stage: Stage<O, N, C>): Pipeline<I, N, C> {
    return new Pipeline<I, N, C>([...this.stages, stage as AnyStage<C>]);
  }

  get stageNames(): readonly string[] {
    return this.stages.map((s) => s.name);
  }

  /**
   * One loop over the list (not a chain of nested async wrappers: one promise per awaited stage,
   * not three). Each stage is checked for an abort before it starts, and timed from outside,
   * whether it returned, finished early or threw.
   */
  async run(input: I, ctx: C, observe: StageObserver = noObserver): Promise<O | Finished> {
    let value: unknown = input;
    for (const stage of this.stages) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const started = performance.now();
      try {
        const out = stage.run(value, ctx);
        value = out instanceof Promise ? await out : out;
      } finally {
        observe(stage.name, performance.now() - started);
      }
      if (value instanceof Finished) return value;
    }
    return value as O;
  }

  describe(): string {
    return this.stageNames.join(" ▶ ");
  }
}

const noObserver: StageObserver = () => undefined;
