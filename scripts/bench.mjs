// `npm run bench`: builds the workspace, starts NATS, Redis, aws-local and one worker on loopback,
// measures baselines (raw NATS, direct STS) and credvend end to end, prints a markdown report and
// writes it to bench/reports/<YYYY-MM-DD>-vend.md, with the numbers (and the `ratios` targets) in
// <YYYY-MM-DD>-vend.json beside it. Everything started is stopped at the end, also on failure or Ctrl-C.
//
//   npm run bench [-- --quick] [--no-build] [--out FILE] [--no-report] [fleet flags]
//     --quick      a short smoke run (printed only, unless --out is given)
//     --no-build   skip `node scripts/build.mjs`
//     --out FILE   write the report there instead (FILE.md -> FILE.json beside it)
//     --no-report  print only
//   fleet flags: --principals N (1000) --tenants N (50) --sts-ms MS (30) --kms-ms MS (5) --identical N (1000)
//   --soak SECONDS  after the fleet phases, unique requests for that long (300: the 5-minute soak), RSS sampled
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const USAGE = "usage: npm run bench -- [--quick] [--no-build] [--out FILE] [--no-report] [--principals N] [--tenants N] [--sts-ms MS] [--kms-ms MS] [--identical N] [--soak SECONDS]";
/** Fleet flags: name -> [option key, smallest, largest]. */
const FLEET_FLAGS = { principals: ["principals", 4, 10_000], tenants: ["tenants", 1, 1000], "sts-ms": ["stsMs", 0, 10_000], "kms-ms": ["kmsMs", 0, 10_000], identical: ["identical", 1, 10_000] };
let args;
const fleet = {};
try {
  args = parseArgs({
    options: {
      quick: { type: "boolean" },
      "no-build": { type: "boolean" },
      out: { type: "string" },
      "no-report": { type: "boolean" },
      help: { type: "boolean", short: "h" },
      soak: { type: "string" },
      ...Object.fromEntries(Object.keys(FLEET_FLAGS).map((k) => [k, { type: "string" }])),
    },
  }).values;
  for (const [flag, [key, min, max]] of Object.entries(FLEET_FLAGS)) {
    if (args[flag] === undefined) continue;
    const n = Number(args[flag]);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${flag} must be a whole number from ${min} to ${max} (got "${args[flag]}")`);
    fleet[key] = n;
  }
  if (args.soak !== undefined && !(Number.isInteger(Number(args.soak)) && Number(args.soak) >= 10 && Number(args.soak) <= 3600)) throw new Error(`--soak must be a whole number of seconds from 10 to 3600 (got "${args.soak}")`);
  if (fleet.tenants !== undefined && fleet.principals !== undefined && fleet.tenants > fleet.principals) throw new Error("--tenants must not exceed --principals (each tenant needs a principal)");
} catch (err) {
  console.error(`bench: ${err.message}\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(`${USAGE}\nSee bench/README.md.`);
  process.exit(0);
}
if (!args["no-build"]) {
  const build = spawnSync(process.execPath, [path.join(root, "scripts/build.mjs")], { stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const bench = (file) => import(pathToFileURL(path.join(root, "bench", file)).href);
const { stopAll } = await bench("procs.mjs");
const { runVendBench } = await bench("vend.mjs");
const { machineInfo, renderReport } = await bench("report.mjs");

// Ctrl-C reaches the children too (same process group); we stop whatever is left and exit 130.
// testkit's own exit hook kills nats-server and redis-server at once on a signal, so a worker can
// not drain against them: it gets a short grace, then SIGKILL.
let interrupted = false;
const onSignal = (signal) => {
  if (interrupted) return;
  interrupted = true;
  process.stderr.write(`\nbench: ${signal}, stopping everything\n`);
  void stopAll({ graceMs: 3000 }).finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const started = performance.now();
let status = 0;
try {
  const out = await runVendBench({ quick: Boolean(args.quick), fleet, soakSeconds: args.soak === undefined ? 0 : Number(args.soak) });
  await stopAll();
  const now = new Date();
  const date = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
  const text = renderReport(out, machineInfo(), { date, seconds: (performance.now() - started) / 1000 });
  process.stdout.write(`\n${text}`);
  if (!args["no-report"] && (!args.quick || args.out)) {
    const file = args.out ? path.resolve(args.out) : path.join(root, "bench/reports", `${date}-vend.md`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    const jsonFile = file.replace(/(\.md)?$/, ".json");
    fs.writeFileSync(jsonFile, `${JSON.stringify({ date, machine: machineInfo(), seconds: (performance.now() - started) / 1000, ...out }, null, 2)}\n`);
    process.stderr.write(`bench: report written to ${path.relative(process.cwd(), file) || file} and ${path.relative(process.cwd(), jsonFile) || jsonFile}\n`);
  }
  if (out.checks.some((c) => !c.ok)) status = 1;
} catch (err) {
  if (!interrupted) {
    process.stderr.write(`bench failed: ${err?.stack ?? err}\n`);
    status = 1;
  }
} finally {
  await stopAll();
}
if (!interrupted) process.exit(status);
