// Opt-in (`--soak SECONDS`, e.g. 300): unique requests over the fleet with both workers for
// minutes, each worker's RSS sampled every 2 s. Memory is flat when the mean of the last minute
// is within ±10 % of the first minute's (bounded caches, nothing kept per request served).
import { memoryOf } from "./procs.mjs";

const SAMPLE_MS = 2000;
export const SOAK_DRIFT_LIMIT = 0.1;

/**
 * @param {{ phase: Function, call: Function, workerPids: () => {name: string, pid: number}[], seconds: number, log: Function }} ctx
 */
export async function runSoak({ phase, call, workerPids, seconds, log }) {
  const samples = [];
  const started = performance.now();
  const sample = () => {
    const at = (performance.now() - started) / 1000;
    samples.push({ at, rssMiB: Object.fromEntries(workerPids().map(({ name, pid }) => [name, (memoryOf(pid)?.rssKiB ?? NaN) / 1024])) });
  };
  sample();
  const timer = setInterval(sample, SAMPLE_MS);
  let load;
  try {
    load = await phase("soak", { name: `unique requests over P×T, two workers, soak of ${seconds} s`, concurrency: 256, seconds, call });
  } finally {
    clearInterval(timer);
  }
  sample();
  // A minute at each end, or a fifth of a shorter soak.
  const windowSeconds = Math.min(60, seconds / 5);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const workers = {};
  for (const { name } of workerPids()) {
    const first = mean(samples.filter((s) => s.at <= windowSeconds).map((s) => s.rssMiB[name]));
    const last = mean(samples.filter((s) => s.at >= seconds - windowSeconds).map((s) => s.rssMiB[name]));
    const peak = Math.max(...samples.map((s) => s.rssMiB[name]));
    workers[name] = { firstMiB: first, lastMiB: last, peakMiB: peak, drift: (last - first) / first, flat: Math.abs((last - first) / first) <= SOAK_DRIFT_LIMIT };
    log(`soak: ${name} RSS first ${first.toFixed(1)} MiB, last ${last.toFixed(1)} MiB (${(100 * workers[name].drift).toFixed(1)} %)`);
  }
  return { seconds, concurrency: 256, vends: load.calls, errors: load.errors, errorKinds: load.errorKinds, errorSamples: load.errorSamples, rate: load.rate, windowSeconds, workers, samples };
}
