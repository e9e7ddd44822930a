import { test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { Finished, Pipeline, type StageContext } from "./pipeline.js";

const ctx = (signal = new AbortController().signal): StageContext => ({ log: pino({ level: "silent" }), signal, now: Date.now });

test("stages run in order and the description lists them", async () => {
  const p = Pipeline.start({ name: "a", run: (x: number) => x + 1 })
    .then({ name: "b", run: async (x: number) => `${x}` })
    .then({ name: "c", run: (s: string) => s.length });
  assert.equal(p.describe(), "a ▶ b ▶ c");
  assert.equal(await p.run(41, ctx()), 2);
});

test("a Finished value ends the pipeline early", async () => {
  let ran = false;
  const p = Pipeline.start({ name: "a", run: () => new Finished(new Uint8Array([1]), "replayed") })
    .then({ name: "b", run: () => { ran = true; return 1; } });
  const out = await p.run(0, ctx());
  assert.ok(out instanceof Finished);
  assert.equal(ran, false);
});

test("an aborted signal stops before the next stage", async () => {
  const controller = new AbortController();
  const reason = new Error("deadline");
  const p = Pipeline.start({ name: "a", run: () => { controller.abort(reason); return 1; } })
    .then({ name: "b", run: () => 2 });
  await assert.rejects(p.run(0, ctx(controller.signal)), (e) => e === reason);
});

test("the pipeline times every stage that ran, including one that threw", async () => {
  const seen: string[] = [];
  const p = Pipeline.start({ name: "a", run: async (x: number) => { await new Promise((r) => setTimeout(r, 20)); return x; } })
    .then({ name: "b", run: (): number => { throw new Error("no"); } })
    .then({ name: "c", run: (x: number) => x });
  await assert.rejects(p.run(0, ctx(), (stage, ms) => seen.push(`${stage}:${ms >= 15 ? "slow" : "fast"}`)));
  assert.deepEqual(seen, ["a:slow", "b:fast"]);
});
