// What the machine allows: each throughput target costed at the CPU its phase measured per
// operation, summed over every process of the bench (load generator, workers, aws-local,
// nats-server, redis-server). A closed loop can go no faster than the cores divided by that sum,
// nor faster than its busiest single-threaded process allows. A phase that reaches most of that
// ceiling is CPU-bound (not serial, not waiting on latency), and the cores a target needs at the
// same costs say what would have to change for it to be met: more cores, or less CPU per operation.

import { DIRECT_ASSUME_ALONE } from "./fleet.mjs";

/** Reaching this share of the ceiling counts as CPU-bound. */
export const CPU_BOUND_SHARE = 0.85;

/** Process keys of a phase's `cpu` that are not processes. */
const NOT_A_PROCESS = new Set(["machine"]);

/**
 * One entry per throughput target: the rate it asks for, the phase's measured rate and costs, the
 * ceiling on `cores`, and the cores the target would need at the measured costs.
 */
export function computeCeilings(out, { unique64, unique256, unique256two, reuse64 }, { cores }) {
  const nats64 = out.phases.find((p) => p.group === "nats" && p.concurrency === 64);
  const { stsMs } = out.fleet.latency;
  const wanted = {
    // 80 % of the loop's own limit: every in-flight request waiting only on STS.
    unique_vs_ideal: { phase: unique256, rate: (0.8 * unique256.concurrency) / (stsMs / 1000) },
    // A closed loop's latency is in flight / rate (Little's law): p50 ≤ STS + 2 ms needs this rate.
    added_p50_ms: { phase: unique64, rate: unique64.concurrency / ((stsMs + 2) / 1000) },
    reuse_vs_nats: { phase: reuse64, rate: 0.4 * (nats64?.rate ?? NaN) },
    two_vs_one_worker: { phase: unique256two, rate: 1.6 * unique256.rate },
  };
  const result = {};
  for (const [key, { phase, rate }] of Object.entries(wanted)) result[key] = ceilingOf(phase, rate, cores);
  // worker_cpu_ms_per_vend beside what the unmodified SDK alone costs its caller per AssumeRole
  // (the bench process, same run, same aws-local, nothing else running in it).
  const sdk = out.phases.find((p) => p.group === "sts" && /^STS AssumeRole \(AWS SDK/.test(p.name));
  result.worker_cpu_ms_per_vend = { phase: sdk ? `${sdk.name}, ${sdk.concurrency} in flight` : null, sdkAssumeRoleCpuMs: finite(sdk?.cpuMsPerOp?.bench) };
  // added_p50_ms with nothing queued: one vend at a time on an idle machine, where what a vend adds
  // to STS is the CPU its processes spend on it one after another.
  const alone = out.phases.find((p) => p.group === "victim" && p.concurrency === 1 && /alone/.test(p.name));
  // Beside it, one direct SDK AssumeRole at a time on the same aws-local: its p50 over the injected
  // latency is the SDK's and aws-local's share, so the difference is what credvend itself adds.
  const direct = out.phases.find((p) => p.group === "direct" && p.concurrency === 1 && p.name === DIRECT_ASSUME_ALONE);
  result.added_p50_ms_idle = alone
    ? {
        phase: `${alone.name}, 1 in flight`,
        addedP50Ms: finite(alone.p50 - stsMs),
        cpuMsPerOp: finite(sumOfProcesses(alone)),
        directP50Ms: finite(direct?.p50),
        credvendAddedP50Ms: finite(direct ? alone.p50 - direct.p50 : NaN),
      }
    : { phase: null, addedP50Ms: null, cpuMsPerOp: null, directP50Ms: null, credvendAddedP50Ms: null };
  return result;
}

function processCosts(phase) {
  return Object.entries(phase.cpuMsPerOp ?? {}).filter(([name, v]) => !NOT_A_PROCESS.has(name) && Number.isFinite(v));
}

function sumOfProcesses(phase) {
  return processCosts(phase).reduce((sum, [, v]) => sum + v, 0);
}

function ceilingOf(phase, targetRate, cores) {
  const perOp = processCosts(phase);
  const totalMs = sumOfProcesses(phase);
  const [busiest, busiestMs] = perOp.reduce((top, entry) => (entry[1] > top[1] ? entry : top), ["", 0]);
  // One Node process runs its JavaScript on one core. Counting each process as one core is a little
  // conservative where a process has threads of its own (V8's GC helpers in a worker, nats-server's
  // goroutines), so a phase may come out slightly above its ceiling; redis-server is exact.
  const ceiling = Math.min((1000 * cores) / totalMs, 1000 / busiestMs);
  return {
    phase: `${phase.name}, ${phase.concurrency} in flight`,
    targetRate: finite(targetRate),
    measuredRate: finite(phase.rate),
    cpuMsPerOp: finite(totalMs),
    busiest,
    busiestCpuMsPerOp: finite(busiestMs),
    ceilingRate: finite(ceiling),
    shareOfCeiling: finite(phase.rate / ceiling),
    cpuBound: phase.rate / ceiling >= CPU_BOUND_SHARE,
    coresNeeded: finite((targetRate * totalMs) / 1000),
    busiestCoresNeeded: finite((targetRate * busiestMs) / 1000),
  };
}

const finite = (n) => (Number.isFinite(n) ? n : null);
