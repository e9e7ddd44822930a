// `npm run bench -- --quick` end to end: the smoke run starts its own stack (NATS with JetStream,
// Redis, aws-local with the fleet seed, two workers), runs every scenario briefly and writes the
// markdown and JSON reports. Speed is not asserted here (the machine is shared); what is asserted
// is that the report a script reads has every target in `ratios` as a finite number, and that the
// bench's own correctness checks (one AssumeRole per request id, refusals call no AWS, ...) hold.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./support/cli.js";

/** The keys of issue 12's targets, exactly (bench/ratios.mjs). */
const RATIO_KEYS = [
  "unique_vs_ideal",
  "added_p50_ms",
  "reuse_vs_nats",
  "sts_calls_per_1000_identical",
  "worker_cpu_ms_per_vend",
  "two_vs_one_worker",
  "worker_peak_rss_mb",
  "aws_local_signed_calls_per_s",
];

interface BenchJson {
  readonly quick: boolean;
  readonly ratios: Record<string, unknown>;
  readonly checks: readonly { readonly name: string; readonly ok: boolean; readonly detail?: string }[];
  readonly phases: readonly { readonly group: string; readonly cpuMsPerOp: Record<string, number> }[];
  readonly ceilings: Record<string, Record<string, unknown>>;
}

/** The throughput targets that bench/ceilings.mjs costs against the machine's cores. */
const CEILING_KEYS = ["unique_vs_ideal", "added_p50_ms", "reuse_vs_nats", "two_vs_one_worker"];

function runBench(outFile: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, "scripts/bench.mjs"), "--quick", "--no-build", "--out", outFile], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-20_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("exit", (code) => resolve({ code, output }));
  });
}

test("bench --quick writes the markdown and JSON reports with every ratio as a finite number", { timeout: 300_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "credvend-bench-quick-"));
  try {
    const md = path.join(dir, "quick-vend.md");
    const { code, output } = await runBench(md);
    const json = path.join(dir, "quick-vend.json");
    assert.ok(fs.existsSync(md) && fs.existsSync(json), `no report written (exit ${code}):\n${output.slice(-4000)}`);
    const report = JSON.parse(fs.readFileSync(json, "utf8")) as BenchJson;
    assert.equal(report.quick, true);
    assert.deepEqual(Object.keys(report.ratios).sort(), [...RATIO_KEYS].sort());
    for (const key of RATIO_KEYS) {
      const value = report.ratios[key];
      assert.ok(typeof value === "number" && Number.isFinite(value), `ratios.${key} is ${JSON.stringify(value)}`);
    }
    // Every phase reports CPU per operation for the worker (and the fleet phases for both workers).
    assert.ok(report.phases.every((p) => Number.isFinite(p.cpuMsPerOp["worker"])));
    assert.ok(report.phases.some((p) => p.group === "unique-2w" && Number.isFinite(p.cpuMsPerOp["worker-b"])));
    // Each throughput target is costed against the cores: a ceiling, and the cores it would need.
    for (const key of CEILING_KEYS) {
      const c = report.ceilings[key];
      for (const field of ["targetRate", "measuredRate", "cpuMsPerOp", "ceilingRate", "shareOfCeiling", "coresNeeded"]) {
        assert.ok(typeof c?.[field] === "number" && Number.isFinite(c[field]) && c[field] > 0, `ceilings.${key}.${field} is ${JSON.stringify(c?.[field])}`);
      }
      // Measured never beats the ceiling by more than noise (CPU ticks are 10 ms; a worker's GC threads add to its own CPU).
      assert.ok((c?.["shareOfCeiling"] as number) < 1.5, `ceilings.${key}: measured ${String(c?.["measuredRate"])}/s above its ceiling ${String(c?.["ceilingRate"])}/s`);
    }
    assert.ok(typeof report.ceilings["worker_cpu_ms_per_vend"]?.["sdkAssumeRoleCpuMs"] === "number");
    assert.ok(typeof report.ceilings["added_p50_ms_idle"]?.["addedP50Ms"] === "number");
    const failed = report.checks.filter((c) => !c.ok);
    assert.deepEqual(failed, [], "the bench's correctness checks must hold");
    assert.equal(code, 0, output.slice(-4000));
    const text = fs.readFileSync(md, "utf8");
    for (const key of RATIO_KEYS) assert.ok(text.includes(`\`${key}\``), `the markdown report lists ${key}`);
    assert.match(text, /## What \d+ cores allow/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
