// Formats bench results as markdown (the same text goes to stdout and to bench/reports/).
import { execFileSync } from "node:child_process";
import os from "node:os";
import { ROOT } from "./procs.mjs";

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
const unit = { nats: "req/s", sts: "calls/s", vend: "vends/s", reuse: "vends/s", replay: "replays/s" };
const CREDVEND_GROUPS = new Set(["vend", "reuse", "replay"]);

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
  const procs = ["bench", "worker", "aws-local", "nats-server", "redis-server", "nats-responder", "machine"];
  const used = procs.filter((k) => out.phases.some((p) => Number.isFinite(p.cpu[k])));
  return table(
    ["phase", ...used.map((k) => (k === "machine" ? "machine total %" : k === "other" ? "other processes %" : `${k} %`)), "worker CPU ms / op"],
    out.phases.map((p) => [
      `${p.name}, ${p.concurrency} in flight`,
      ...used.map((k) => (Number.isFinite(p.cpu[k]) ? f0((100 * p.cpu[k]) / p.seconds) : "")),
      CREDVEND_GROUPS.has(p.group) ? f2((1000 * p.cpu.worker) / Math.max(1, p.calls)) : "",
    ]),
  );
}

function memoryTable(out) {
  const m = out.memory;
  return table(
    ["process", "before (ready, 1 vend)", "after vend phases", "after replay phases", "peak (VmHWM)"],
    [
      ["worker", mib(m.workerReady?.rssKiB), mib(m.workerAfterVend?.rssKiB), mib(m.workerAfterReplay?.rssKiB), mib(m.workerAfterReplay?.hwmKiB)],
      ["aws-local", mib(m.awsLocalReady?.rssKiB), mib(m.awsLocalAfterVend?.rssKiB), mib(m.awsLocalAfterReplay?.rssKiB), mib(m.awsLocalAfterReplay?.hwmKiB)],
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
**Topology** (loopback): nats-server and redis-server from @credvend/testkit; \`credvend aws-local\` and one \`credvend worker\`
(CREDVEND_LOG_LEVEL=warn, rate limits raised to 1,000,000/s) as child processes; the load generator
(CredvendClient as acme/demo-app, one NATS connection, KMS Decrypt as demo-app) in the bench process.
Closed loop: each of the *in flight* loops waits for its reply before sending the next request. Stack ready (first vend served) after ${f0(out.startup.readyMs)} ms.

## Throughput and latency

${mainTable(out)}

## AWS calls that reached aws-local

${awsTable(out)}

Whole run (readiness, warm-ups and all phases, aws-local's admin \`calls()\`): ${Object.entries(out.awsTotals ?? {}).map(([k, c]) => `${k} ${c.total}${c.failed ? ` (${c.failed} failed)` : ""}`).join(", ")}.
Replay check: AssumeRole calls for the replayed request id, original included: **${out.replayAssumeRole}**.

## CPU (% of one core, averaged over each phase)

${cpuTable(out)}

## Memory (RSS, MiB, from /proc/<pid>/status)

${memoryTable(out)}

## Checks

${out.checks.map((c) => `- ${c.ok ? "ok" : "**FAILED**"}: ${c.name}${c.detail ? ` (${c.detail})` : ""}`).join("\n")}
- worker log (level warn): ${out.workerLog.jsonLines} vendor log line(s)${out.workerLog.jsonSample.length ? `, e.g.\n\n\`\`\`\n${out.workerLog.jsonSample.map((l) => l.slice(0, 400)).join("\n")}\n\`\`\`` : ""}; other stderr: ${out.workerLog.otherFirstLines.length ? out.workerLog.otherFirstLines.map((l) => `\`${l.slice(0, 160)}\``).join("; ") : "none"}

## Reading

${reading(out, machine)}
${failed.length ? `\n**${failed.length} check(s) failed**; see above.\n` : ""}`;
}
