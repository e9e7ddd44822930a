// `npm run bench`: builds the workspace, starts NATS, Redis, aws-local and one worker on loopback,
// measures baselines (raw NATS, direct STS) and credvend end to end, prints a markdown report and
// writes it to bench/reports/<YYYY-MM-DD>-vend.md. Everything started is stopped at the end, also
// on failure or Ctrl-C.
//
//   npm run bench [-- --quick] [--no-build] [--out FILE] [--no-report]
//     --quick      a ~20 s smoke run (printed only, unless --out is given)
//     --no-build   skip `node scripts/build.mjs`
//     --out FILE   write the report there instead
//     --no-report  print only
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let args;
try {
  args = parseArgs({
    options: { quick: { type: "boolean" }, "no-build": { type: "boolean" }, out: { type: "string" }, "no-report": { type: "boolean" }, help: { type: "boolean", short: "h" } },
  }).values;
} catch (err) {
  console.error(`bench: ${err.message}\nusage: npm run bench -- [--quick] [--no-build] [--out FILE] [--no-report]`);
  process.exit(2);
}
if (args.help) {
  console.log("usage: npm run bench -- [--quick] [--no-build] [--out FILE] [--no-report]\nSee bench/README.md.");
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
  const out = await runVendBench({ quick: Boolean(args.quick) });
  await stopAll();
  const now = new Date();
  const date = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
  const text = renderReport(out, machineInfo(), { date, seconds: (performance.now() - started) / 1000 });
  process.stdout.write(`\n${text}`);
  if (!args["no-report"] && (!args.quick || args.out)) {
    const file = args.out ? path.resolve(args.out) : path.join(root, "bench/reports", `${date}-vend.md`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    process.stderr.write(`bench: report written to ${path.relative(process.cwd(), file) || file}\n`);
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
