// Formats bench results as markdown (the same text goes to stdout and to bench/reports/).
import { renderCredentialProcess } from "./credential-process.mjs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import { ROOT } from "./procs.mjs";
import { TARGETS, targetMet } from "./ratios.mjs";
import { CPU_BOUND_SHARE } from "./ceilings.mjs";
import { SOAK_DRIFT_LIMIT } from "./soak.mjs";

export function machineInfo() {
  const version = (cmd, args, pattern) => {
    try {
      const text = execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      return pattern.exec(text)?.[1] ?? text.trim();
    } catch {
      return "unavailable";
    }
  };
  return {
    nproc: version("nproc", [], /(\d+)/),
    cpu: os.cpus()[0]?.model ?? "unknown",
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    natsServer: version("nats-server", ["--version"], /v?(\d+\.\d+\.\d+)/),
    redisServer: version("redis-server", ["--version"], /v=(\S+)/),
    commit: version("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"], /(\S+)/),
  };
}

const f0 = (n) => (Number.isFinite(n) ? n.toFixed(0) : "–");
const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : "–");
const f2 = (n) => (Number.isFinite(n) ? n.toFixed(2) : "–");
const f3 = (n) => (Number.isFinite(n) ? n.toFixed(3) : "–");
const ms = (n) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : "–");
const mib = (kib) => (kib === undefined || !Number.isFinite(kib) ? "–" : (kib / 1024).toFixed(1));
const unit = {
  nats: "req/s",
  sts: "calls/s",
  direct: "pairs/s",
  vend: "vends/s",
  reuse: "vends/s",
  replay: "replays/s",
  "fleet-warm": "vends/s",
  "unique-1w": "vends/s",
  "unique-2w": "vends/s",
  "fleet-reuse": "vends/s",
  dedupe: "replays/s",
  limited: "answers/s",
  victim: "vends/s",
  memory: "vends/s",
  soak: "vends/s",
};
const CREDVEND_GROUPS = new Set(["vend", "reuse", "replay", "fleet-warm", "unique-1w", "unique-2w", "fleet-reuse", "dedupe", "limited", "victim", "memory", "soak"]);

function table(header, rows) {
  return [`| ${header.join(" | ")} |`, `| ${header.map((h, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

function find(out, group, concurrency) {
  return out.phases.find((p) => p.group === group && p.concurrency === concurrency);
}

export function mainTable(out) {
  return table(
    ["scenario", "in flight", "N", "rate", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"],
    out.phases.map((p) => [p.name, p.concurrency, p.calls, `${f0(p.rate)} ${unit[p.group]}`, ms(p.p50), ms(p.p90), ms(p.p99), ms(p.max), p.errors ? `${p.errors} ${JSON.stringify(p.errorKinds)}` : "0"]),
  );
}

function awsTable(out) {
  const rows = out.phases
    .filter((p) => CREDVEND_GROUPS.has(p.group))
    .map((p) => {
      const n = p.calls + p.errors;
      const c = (k) => p.aws[k]?.total ?? 0;
      return [
        `${p.name}, ${p.concurrency} in flight`,
        n,
        `${c("sts:AssumeRole")} (${f3(c("sts:AssumeRole") / n)})`,
        `${c("kms:GenerateDataKey")} (${f3(c("kms:GenerateDataKey") / n)})`,
        `${c("kms:Decrypt")} (${f3(c("kms:Decrypt") / n)})`,
        Object.values(p.aws).reduce((a, x) => a + x.failed, 0),
      ];
    });
  return table(["phase", "requests", "sts:AssumeRole (per request)", "kms:GenerateDataKey (per request)", "kms:Decrypt, client (per request)", "failed AWS calls"], rows);
}

function cpuTable(out) {
  const procs = ["bench", "worker", "worker-b", "aws-local", "nats-server", "redis-server", "nats-responder", "machine"];
  const used = procs.filter((k) => out.phases.some((p) => Number.isFinite(p.cpu[k])));
  return table(
    ["phase", ...used.map((k) => (k === "machine" ? "machine total %" : k === "other" ? "other processes %" : `${k} %`)), "load avg (1 min) at end"],
    out.phases.map((p) => [`${p.name}, ${p.concurrency} in flight`, ...used.map((k) => (Number.isFinite(p.cpu[k]) ? f0((100 * p.cpu[k]) / p.seconds) : "")), f1(p.loadavg1)]),
  );
}

/** CPU milliseconds per successful operation, for every process (the load generator is "bench"). */
function cpuPerOpTable(out) {
  const procs = ["bench", "worker", "worker-b", "aws-local", "nats-server", "redis-server"];
  const used = procs.filter((k) => out.phases.some((p) => Number.isFinite(p.cpuMsPerOp?.[k])));
  const rows = out.phases.filter((p) => p.cpuMsPerOp && p.group !== "nats" && p.group !== "sts");
  return table(
    ["phase", ...used.map((k) => `${k} ms`), "all workers ms", "Redis commands", "STS calls", "KMS calls"],
    rows.map((p) => {
      const n = Math.max(1, p.calls);
      const workers = (p.cpuMsPerOp.worker ?? 0) + (Number.isFinite(p.cpuMsPerOp["worker-b"]) ? p.cpuMsPerOp["worker-b"] : 0);
      const sum = (prefix) => Object.entries(p.aws).filter(([k]) => k.startsWith(prefix)).reduce((a, [, c]) => a + c.total, 0);
      return [`${p.name}, ${p.concurrency} in flight`, ...used.map((k) => (Number.isFinite(p.cpuMsPerOp[k]) ? f3(p.cpuMsPerOp[k]) : "")), f3(workers), f2((p.redis?.total ?? NaN) / n), f3(sum("sts:") / n), f3(sum("kms:") / n)];
    }),
  );
}

function ratiosTable(out) {
  const r = out.ratios ?? {};
  return table(
    ["key", "value", "target", "met", "what"],
    Object.entries(TARGETS).map(([k, t]) => [`\`${k}\``, r[k] === null || r[k] === undefined ? "–" : f3(r[k]), t.min !== undefined ? `≥ ${t.min}` : `≤ ${t.max}`, metCell(out, k, r[k]), t.what]),
  );
}

/** The unique-request target also holds when the phase is CPU-bound (the issue's "or CPU-bound, with the profile"). */
function metCell(out, key, value) {
  if (targetMet(key, value)) return "yes";
  const c = out.ceilings?.[key];
  if (key === "unique_vs_ideal" && c?.cpuBound) return `yes: CPU-bound (${f0(100 * c.shareOfCeiling)} % of what the cores allow; profile below)`;
  return "**no**";
}

const CEILING_LABELS = {
  unique_vs_ideal: "`unique_vs_ideal` ≥ 0.8",
  added_p50_ms: "`added_p50_ms` ≤ 2 (in flight / rate, Little's law)",
  reuse_vs_nats: "`reuse_vs_nats` ≥ 0.4",
  two_vs_one_worker: "`two_vs_one_worker` ≥ 1.6",
};

function ceilingsSection(out, machine) {
  const c = out.ceilings;
  if (!c) return "";
  const cores = Number(machine.nproc) || 1;
  const rows = Object.entries(CEILING_LABELS).filter(([k]) => c[k]).map(([k, label]) => {
    const e = c[k];
    return [label, e.phase, f0(e.targetRate), f0(e.measuredRate), f3(e.cpuMsPerOp), `${e.busiest} ${f3(e.busiestCpuMsPerOp)}`, f0(e.ceilingRate), `${f0(100 * e.shareOfCeiling)} %`, f1(e.coresNeeded), f1(e.busiestCoresNeeded)];
  });
  const sdk = c.worker_cpu_ms_per_vend;
  const idle = c.added_p50_ms_idle;
  return `## What ${cores} cores allow (each target costed at the CPU its phase measured)

A closed loop can go no faster than the cores divided by the CPU one operation costs all the bench's processes together, nor faster than its busiest single-threaded process allows: that is the *ceiling*. A phase at ${f0(100 * CPU_BOUND_SHARE)} % of its ceiling or more is CPU-bound. *Cores needed*: what the target's rate costs at the same CPU per operation, for all processes and for the busiest one alone (more than 1 there needs more such processes, such as workers).

${table(["target", "phase", "rate it needs /s", "measured /s", "CPU ms per op, all processes", "busiest process, CPU ms per op", `ceiling on ${cores} cores /s`, "measured / ceiling", "cores needed, all", "cores needed, busiest"], rows)}
${sdk?.sdkAssumeRoleCpuMs != null ? `
\`worker_cpu_ms_per_vend\` ≤ 0.5: in this run the unmodified AWS SDK alone cost its caller ${f3(sdk.sdkAssumeRoleCpuMs)} ms of CPU per AssumeRole (${sdk.phase}), before anything a vend adds to it.
` : ""}${idle?.addedP50Ms != null ? `
\`added_p50_ms\` with nothing queued (${idle.phase}): p50 minus the injected STS latency is ${ms(idle.addedP50Ms)} ms, where one vend costs all processes together ${f3(idle.cpuMsPerOp)} ms of CPU, most of it one process after another, each woken from idle (the same vend costs them ${f3(c.unique_vs_ideal?.cpuMsPerOp)} ms at 256 in flight).${idle.credvendAddedP50Ms != null ? ` One direct SDK AssumeRole at a time on the same aws-local takes p50 ${ms(idle.directP50Ms)} ms, so credvend itself adds ${ms(idle.credvendAddedP50Ms)} ms at p50 (the rest is the SDK's and aws-local's own time).` : ""}
` : ""}`;
}

function fleetSection(out) {
  const f = out.fleet;
  if (!f) return "";
  const identical = table(
    ["round", "principal", "requests", "served", "distinct credentials", "sts:AssumeRole", "kms:GenerateDataKey", "wall ms"],
    f.identical.map((r, i) => [i + 1, r.principal, r.requests, r.ok, r.distinctCredentials, r.assumeRole, r.generateDataKey, f0(r.ms)]),
  );
  const floods = Object.entries(f.flood.floods).map(([label, x]) => `- flood of ${label} (256 in flight, ${f0(x.floodRate)}/s answered, ${x.floodServed} served, ${x.floodRefused} refused ${JSON.stringify(x.floodErrorKinds)}): quiet principal p50 ${ms(x.victimP50)} ms, p99 ${ms(x.victimP99)} ms`).join("\n");
  return `## Fleet shape

aws-local injected latency: STS ${f.latency.stsMs} ms, KMS ${f.latency.kmsMs} ms per call. ${f.principals} principals over ${f.tenants} tenants
(each an aws-local IAM user bound to its tenant, with its own KMS client: it can open only its own replies). ${f.clients} requester clients in the load generator.

${f.secondWorkerWarmUp ? `**A second worker joins** (warm-up before the two-worker phases, not in \`two_vs_one_worker\`): ${f.secondWorkerWarmUp.vends} vends over ${f.principals} recipients whose data keys the first worker holds,
${f.secondWorkerWarmUp.generateDataKey} GenerateDataKey calls: the second worker leases each recipient's key from the worker that generated it (one key per recipient for the fleet).

` : ""}**1,000 identical requests at once** (template with \`reuse:\`, a principal with nothing cached, two workers):

${identical}

**Retries of one request id**: ${f.dedupe.concurrentSameId} concurrent copies of a new id across two workers: ${f.dedupe.served} served,
${f.dedupe.distinctCredentials} distinct credentials, ${f.dedupe.assumeRole} AssumeRole call(s) (including ${f.dedupe.replays} closed-loop replays after).

**Rate-limited tenants**: ${f.limited.served} vends served and ${f.limited.refused} refused (${f0(f.limited.refusalsPerSecond)} refusals/s) over ${f.tenants} tenants;
AssumeRole calls in the phase: ${f.limited.assumeRole}.${f.refusalCost ? `

**What a refusal costs Redis**, measured in the flood of the rate-limited template below (${f.refusalCost.refused} refusals; the ${f.refusalCost.vendsSubtracted} vends served in that window are
subtracted at a fresh vend's cost, ${f2(f.refusalCost.vendRedisCommands)} commands): ${f2(f.refusalCost.redisCommandsPerRefusal)} commands per refusal
(${Object.entries(f.refusalCost.redisByCommandPerRefusal).map(([k, v]) => `${k} ${f2(v)}`).join(", ")}; commands inside Lua scripts count by name),
of which ${f2(f.refusalCost.limiterScriptsPerRefusal)} limiter scripts and **${f3(f.refusalCost.writesBeyondLimiterPerRefusal)} writes beyond the limiter's own state**.` : ""}

**Flood beside a quiet principal** (it vends 1 at a time; alone: p50 ${ms(f.flood.aloneP50)} ms, p99 ${ms(f.flood.aloneP99)} ms):

${floods}

**2,000 in flight** (two workers): ${f.memory.vends} vends, ${f.memory.errors} errors; memory below.
${soakSection(f.soak)}`;
}

function soakSection(soak) {
  if (!soak) return "";
  const rows = Object.entries(soak.workers).map(([name, w]) => [name, f1(w.firstMiB), f1(w.lastMiB), f1(w.peakMiB), `${w.drift >= 0 ? "+" : ""}${f1(100 * w.drift)} %`, w.flat ? "yes" : "**no**"]);
  return `
**Soak** (\`--soak ${soak.seconds}\`): unique requests over P×T, two workers, ${soak.concurrency} in flight for ${soak.seconds} s: ${soak.vends} vends (${f0(soak.rate)}/s), ${soak.errors} errors${soak.errors > 0 ? ` (${Object.entries(soak.errorSamples ?? {}).map(([kind, s]) => `${soak.errorKinds?.[kind] ?? "?"} ${kind}, the first after ${f0(s.atSeconds)} s: "${s.message}"`).join("; ")})` : ""}.
RSS (MiB) sampled every 2 s; first and last ${f0(soak.windowSeconds)} s averaged; flat = within ±${f0(100 * SOAK_DRIFT_LIMIT)} %:

${table(["worker", "first window", "last window", "peak", "drift", "flat"], rows)}
`;
}

function profileSection(out) {
  const p = out.profile;
  if (!p) return "";
  const load = p.load ? ` Its load: unique requests over P×T at ${p.load.concurrency} in flight for ${p.load.seconds} s with the injected latency, ${p.load.vends} vends (${f0(p.load.rate)}/s, slower than unprofiled), ${p.load.errors} errors.` : "";
  return `## Worker CPU profile (a third worker alone, after the measured phases, under \`node --cpu-prof\`, its whole life)

Busy ${f0(p.busyMs)} ms (${f0(100 * p.busyShareOfWall)}% of its samples), sampled every ${f2(p.sampleMs)} ms.${load}

${table(["top frames (self time)", "ms", "share of busy"], p.topFrames.map((x) => [`\`${x.frame}\``, f0(x.selfMs), `${f1(100 * x.share)}%`]))}

${table(["by package", "ms", "share of busy"], p.byPackage.map((x) => [x.package, f0(x.selfMs), `${f1(100 * x.share)}%`]))}
`;
}

function memoryTable(out) {
  const m = out.memory;
  return table(
    ["process", "before (ready, 1 vend)", "after vend phases", "after replay phases", "after fleet phases", "peak (VmHWM)"],
    [
      ["worker", mib(m.workerReady?.rssKiB), mib(m.workerAfterVend?.rssKiB), mib(m.workerAfterReplay?.rssKiB), mib(m.workerAfterFleet?.rssKiB), mib(m.workerAfterFleet?.hwmKiB)],
      ["worker-b (from the two-worker phases)", "", "", "", mib(m.workerBAfterFleet?.rssKiB), mib(m.workerBAfterFleet?.hwmKiB)],
      ["aws-local", mib(m.awsLocalReady?.rssKiB), mib(m.awsLocalAfterVend?.rssKiB), mib(m.awsLocalAfterReplay?.rssKiB), mib(m.awsLocalAfterFleet?.rssKiB), mib(m.awsLocalAfterFleet?.hwmKiB)],
    ],
  );
}

/** A one-paragraph reading, computed from the numbers (so it stays true when they change). */
export function reading(out, machine) {
  const natsS = find(out, "nats", 1);
  const nats64 = find(out, "nats", 64);
  const assume = out.phases.find((p) => p.group === "sts" && /AssumeRole/.test(p.name));
  const gciRaw = out.phases.find((p) => p.group === "sts" && /GetCallerIdentity \(pre-signed/.test(p.name));
  const assumeRaw = out.phases.find((p) => p.group === "sts" && /AssumeRole \(pre-signed/.test(p.name));
  const gciSdk = out.phases.find((p) => p.group === "sts" && /GetCallerIdentity \(AWS SDK/.test(p.name));
  const vendS = find(out, "vend", 1);
  const vend64 = find(out, "vend", 64);
  const replay64 = find(out, "replay", 64);
  const reuse64 = find(out, "reuse", 64);
  if (!natsS || !nats64 || !assume || !gciRaw || !vendS || !vend64 || !replay64 || !gciSdk) return "(incomplete run: no reading)";
  const cores = Number(machine.nproc) || 1;
  const n64 = vend64.calls + vend64.errors;
  const ar = vend64.aws["sts:AssumeRole"]?.total ?? 0;
  const gdk64 = vend64.aws["kms:GenerateDataKey"]?.total ?? 0;
  const dec64 = vend64.aws["kms:Decrypt"]?.total ?? 0;
  const totals = out.awsTotals ?? {};
  const vends = out.phases.filter((p) => p.group === "vend").reduce((a, p) => a + p.calls, 0);
  const allAssume = totals["sts:AssumeRole"]?.total ?? 0;
  const allGdk = totals["kms:GenerateDataKey"]?.total ?? 0;
  const allDecrypt = totals["kms:Decrypt"]?.total ?? 0;
  const pct = (v) => (100 * v) / vend64.seconds;
  const ours = ["bench", "worker", "aws-local", "nats-server", "redis-server"].map((k) => [k, pct(vend64.cpu[k])]).filter(([, v]) => Number.isFinite(v)).sort((a, b) => b[1] - a[1]);
  const busy = pct(vend64.cpu.machine);
  const [topName, topPct] = ours[0];
  const perVend = (k) => f2((1000 * vend64.cpu[k]) / Math.max(1, vend64.calls));
  const wGrowth = (out.memory.workerAfterReplay?.rssKiB ?? NaN) - (out.memory.workerReady?.rssKiB ?? NaN);
  const bound =
    topPct >= 85
      ? `the ${topName === "bench" ? "load generator" : topName} is the bottleneck: it is one Node process, so one core, and it was ${f0(topPct)}% busy`
      : busy >= cores * 85
        ? `the machine is the bottleneck (${f0(busy)}% of ${cores * 100}% busy, no single process saturated)`
        : `no process was saturated (the ${topName} ${f0(topPct)}%, machine ${f0(busy)}% of ${cores * 100}%), so latency, not CPU, limited this phase`;
  return [
    `Load generator, worker, aws-local, nats-server and redis-server all share ${cores} core${cores === 1 ? "" : "s"} here, so the numbers are floors for one worker, not a capacity plan.`,
    `One worker vended ${f0(vend64.rate)} credentials/s with 64 in flight (p50 ${ms(vend64.p50)} ms, p99 ${ms(vend64.p99)} ms) and ${f0(vendS.rate)}/s serially (p50 ${ms(vendS.p50)} ms), where the SDK calling aws-local directly reaches ${f0(assume.rate)} AssumeRole/s at 32 in flight and a raw NATS round trip takes ${ms(natsS.p50)} ms (${f0(nats64.rate)} req/s with 64 in flight), so NATS adds little and a vend costs about ${f2(vendS.p50 / Math.max(0.001, natsS.p50))}× a bare round trip.`,
    `With 64 in flight ${bound}; per vend the worker spent ${perVend("worker")} ms of CPU, aws-local ${perVend("aws-local")} ms, redis-server ${perVend("redis-server")} ms and the requester (client, NATS, KMS SDK) ${perVend("bench")} ms.`,
    `Every fresh request id cost ${f3(ar / Math.max(1, n64))} AssumeRole calls, while KMS saw only ${allGdk} GenerateDataKey and ${allDecrypt} Decrypt call${allDecrypt === 1 ? "" : "s"} in the whole run (${vends} measured vends plus warm-up): the vendor's data-key cache and the client's key cache work${dec64 > gdk64 * 2 && gdk64 > 0 ? ` (though ${dec64} Decrypt calls for ${gdk64} new data key${gdk64 === 1 ? "" : "s"} in the 64-in-flight phase means the requester's single-flight did not hold)` : ""}, so KMS quotas are no concern, and STS (about 600/s per account) is the quota that grows one to one with distinct requests unless a template allows reuse.`,
    reuse64 ? `With \`reuse:\` on the template, identical requests under new ids ran at ${f0(reuse64.rate)} vends/s (p50 ${ms(reuse64.p50)} ms) for ${reuse64.aws["sts:AssumeRole"]?.total ?? 0} AssumeRole call${(reuse64.aws["sts:AssumeRole"]?.total ?? 0) === 1 ? "" : "s"} in all: still-fresh credentials and shared in-flight calls keep STS flat however many requesters ask.` : "",
    `Replays of one request id ran at ${f0(replay64.rate)}/s (p50 ${ms(replay64.p50)} ms) with ${out.replayAssumeRole} AssumeRole call in total for that id.`,
    `aws-local verified ${f0(gciRaw.rate)} pre-signed GetCallerIdentity calls/s on its one core${assumeRaw ? ` and issued ${f0(assumeRaw.rate)} AssumeRole/s` : ""} (${f0(gciSdk.rate)}/s through the SDK client, whose own cost dominates).`,
    `Worker RSS went from ${mib(out.memory.workerReady?.rssKiB)} MiB when ready to ${mib(out.memory.workerAfterReplay?.rssKiB)} MiB at the end (${Number.isFinite(wGrowth) ? `${wGrowth >= 0 ? "+" : ""}${mib(wGrowth)} MiB` : "–"}, peak ${mib(out.memory.workerAfterReplay?.hwmKiB)} MiB).`,
  ].filter(Boolean).join(" ");
}

export function renderReport(out, machine, { date, seconds }) {
  const failed = out.checks.filter((c) => !c.ok);
  return `# credvend benchmark: ${date}${out.quick ? " (quick smoke run)" : ""}

Generated by \`npm run bench${out.quick ? " -- --quick" : ""}\` (bench/README.md explains each scenario) in ${f0(seconds)} s.

**Machine**: ${machine.nproc} CPUs (\`nproc\`), ${machine.cpu}, ${machine.memGiB} GiB RAM, ${machine.kernel};
Node ${machine.node}; nats-server ${machine.natsServer}; redis-server ${machine.redisServer}; credvend at commit ${machine.commit} (plus any uncommitted changes).
Load average (1 min) at start ${f2(out.startup.loadavg?.[0])}, at end ${f2(out.endLoadavg?.[0])}: anything above what the bench itself adds (about 2 here) is other work on the machine, which skews the numbers.
**Topology** (loopback): nats-server (JetStream on, for the audit stream the worker writes before it answers) and redis-server from @credvend/testkit;
\`credvend aws-local\` (the dev seed plus ${out.shape.principals} tenant-bound bench principals over ${out.shape.tenants} tenants) and one \`credvend worker\`
(node flags ${out.workerNodeFlags?.length ? out.workerNodeFlags.map((f) => `\`${f}\``).join(" ") : "none"}; CREDVEND_LOG_LEVEL=warn, rate limits raised to 1,000,000/s except the fleet's rate-limited template) as child processes, a second worker
from the two-worker phases on, and at the end a third one alone under \`--cpu-prof\`; the load generator (CredvendClient as acme/demo-app, and one client with its own
KMS identity per fleet principal, all on one NATS connection) in the bench process.
Closed loop: each of the *in flight* loops waits for its reply before sending the next request. Stack ready (first vend served) after ${f0(out.startup.readyMs)} ms.

## Targets (\`ratios\` in the JSON report)

${ratiosTable(out)}

${ceilingsSection(out, machine)}
## Throughput and latency

${mainTable(out)}

## AWS calls that reached aws-local

${awsTable(out)}

Whole run (readiness, warm-ups and all phases, aws-local's admin \`calls()\`): ${Object.entries(out.awsTotals ?? {}).map(([k, c]) => `${k} ${c.total}${c.failed ? ` (${c.failed} failed)` : ""}`).join(", ")}.
Replay check: AssumeRole calls for the replayed request id, original included: **${out.replayAssumeRole}**.

${fleetSection(out)}
## CPU (% of one core, averaged over each phase)

${cpuTable(out)}

## Cost per operation (CPU ms of each process, Redis commands and AWS calls, per successful call)

${cpuPerOpTable(out)}

${profileSection(out)}

## credential-process (one process per call, as the AWS CLI and SDKs run it)

${out.credentialProcess ? renderCredentialProcess(out.credentialProcess) : "(not measured)"}

Cold: an empty cache (NATS, one vend, one KMS Decrypt; STS/KMS latency injection off). Warm: the cached sealed reply (no NATS connection, one KMS Decrypt). Target for a warm call: under 150 ms.

## Memory (RSS, MiB, from /proc/<pid>/status)

${memoryTable(out)}

## Checks

${out.checks.map((c) => `- ${c.ok ? "ok" : "**FAILED**"}: ${c.name}${c.detail ? ` (${c.detail})` : ""}`).join("\n")}
${(out.findings ?? []).map((c) => `- finding, ${c.ok ? "holds" : "**does not hold**"}: ${c.name}${c.detail ? ` (${c.detail})` : ""}`).join("\n")}
- worker log (level warn): ${out.workerLog.jsonLines} vendor log line(s)${out.workerLog.jsonSample.length ? `, e.g.\n\n\`\`\`\n${out.workerLog.jsonSample.map((l) => l.slice(0, 400)).join("\n")}\n\`\`\`` : ""}; other stderr: ${out.workerLog.otherFirstLines.length ? out.workerLog.otherFirstLines.map((l) => `\`${l.slice(0, 160)}\``).join("; ") : "none"}

## Reading

${reading(out, machine)}
${failed.length ? `\n**${failed.length} check(s) failed**; see above.\n` : ""}`;
}
