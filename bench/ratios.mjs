// The targets as one flat object, so a script can check a run: `ratios` in the JSON report.
// Every key is always present; a number that could not be measured is null (and fails the test).

/** Target per key: `min` (at least) or `max` (at most), as in bench/README.md. */
export const TARGETS = {
  unique_vs_ideal: { min: 0.8, what: "unique requests, one worker, 256 in flight, as a fraction of 256 / injected STS latency" },
  added_p50_ms: { max: 2, what: "p50 of a unique vend at 64 in flight minus the injected STS latency" },
  reuse_vs_nats: { min: 0.4, what: "identical requests with reuse, 64 in flight, as a fraction of the raw NATS echo rate at 64" },
  sts_calls_per_1000_identical: { max: 1, what: "AssumeRole calls per 1,000 concurrent identical requests across two workers (worst round)" },
  worker_cpu_ms_per_vend: { max: 0.5, what: "worker CPU per fresh vend, unique requests, one worker, 256 in flight" },
  two_vs_one_worker: { min: 1.6, what: "unique requests at 256 in flight, two workers over one (needs the cores)" },
  worker_peak_rss_mb: { max: 200, what: "highest VmHWM of any worker over the run (MiB), which includes 2,000 in flight" },
  aws_local_signed_calls_per_s: { min: 3000, what: "pre-signed GetCallerIdentity replays aws-local verified per second, no injected latency" },
};

const finite = (n) => (Number.isFinite(n) ? n : null);

export function computeRatios(out, { unique64, unique256, unique256two, reuse64 }) {
  const nats64 = out.phases.find((p) => p.group === "nats" && p.concurrency === 64);
  const signed = out.phases.find((p) => p.group === "sts" && /GetCallerIdentity \(pre-signed/.test(p.name));
  const { stsMs } = out.fleet.latency;
  const worstIdentical = Math.max(...out.fleet.identical.map((r) => (1000 * r.assumeRole) / r.requests));
  const hwm = [out.memory.workerAfterFleet, out.memory.workerBAfterFleet].map((m) => m?.hwmKiB ?? NaN).filter(Number.isFinite);
  return {
    unique_vs_ideal: finite(unique256.rate / (unique256.concurrency / (stsMs / 1000))),
    added_p50_ms: finite(unique64.p50 - stsMs),
    reuse_vs_nats: finite(reuse64.rate / nats64?.rate),
    sts_calls_per_1000_identical: finite(worstIdentical),
    worker_cpu_ms_per_vend: finite(unique256.cpuMsPerOp.worker),
    two_vs_one_worker: finite(unique256two.rate / unique256.rate),
    worker_peak_rss_mb: finite(hwm.length ? Math.max(...hwm) / 1024 : NaN),
    aws_local_signed_calls_per_s: finite(signed?.rate),
  };
}

export function targetMet(key, value) {
  const t = TARGETS[key];
  if (value === null || t === undefined) return false;
  return t.min !== undefined ? value >= t.min : value <= t.max;
}
