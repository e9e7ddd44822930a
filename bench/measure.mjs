// Closed-loop load: `concurrency` loops each awaiting one call at a time, for a fixed time (or a
// fixed number of calls). Latency of every successful call is kept; failures are counted by kind,
// with the first message and time of each kind (the refusal says what went wrong, not only which).

/**
 * @param {object} o
 * @param {string} o.name
 * @param {number} o.concurrency
 * @param {number} o.seconds        stop starting new calls after this long
 * @param {number} [o.maxCalls]     or after this many calls (whichever comes first)
 * @param {(i: number) => Promise<unknown>} o.call   i: a unique index per call
 * @param {(err: unknown) => string} [o.classify]
 */
export async function runLoad({ name, concurrency, seconds, maxCalls = Infinity, call, classify = defaultClassify }) {
  const latencies = [];
  const errors = new Map();
  const samples = new Map();
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && next < maxCalls) {
        const i = next++;
        const t0 = performance.now();
        try {
          await call(i);
          latencies.push(performance.now() - t0);
        } catch (err) {
          const kind = classify(err);
          errors.set(kind, (errors.get(kind) ?? 0) + 1);
          if (!samples.has(kind)) samples.set(kind, { atSeconds: (performance.now() - started) / 1000, message: String(err?.message ?? err).slice(0, 500) });
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { ...summarize(name, concurrency, latencies, errors, elapsed), errorSamples: Object.fromEntries(samples) };
}

export function summarize(name, concurrency, latencies, errors, elapsedSeconds) {
  const sorted = Float64Array.from(latencies).sort();
  const pct = (p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)]);
  const errorCount = [...errors.values()].reduce((a, b) => a + b, 0);
  return {
    name,
    concurrency,
    calls: sorted.length,
    errors: errorCount,
    errorKinds: Object.fromEntries(errors),
    seconds: elapsedSeconds,
    rate: sorted.length / elapsedSeconds,
    p50: pct(0.5),
    p90: pct(0.9),
    p99: pct(0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

function defaultClassify(err) {
  if (err && typeof err === "object") {
    if ("reason" in err && typeof err.reason === "string") return err.reason;
    if ("code" in err && typeof err.code === "string") return err.code;
    if ("name" in err && typeof err.name === "string" && err.name !== "Error") return err.name;
  }
  return String(err?.message ?? err).slice(0, 80);
}
