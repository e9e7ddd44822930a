import { WORKER_SERVICE_NAME, type WorkerStats } from "@credvend/worker";
import { RequestStrategy, type ServiceStats } from "nats";
import { parse, parseIntFlag, parseOutput, UsageError } from "../args.js";
import { requesterEnv } from "../cli-env.js";
import { connectNats } from "../connect.js";
import { shownNatsUrl } from "../nats-failure.js";
import { formatTable } from "../table.js";

export const STATUS_USAGE = `usage: credvend status [--output table|json] [--wait MS]

Asks every running worker for its status over NATS ($SRV.STATS.${WORKER_SERVICE_NAME}): requests
served, failed and in flight, the live config version, and the last refused config (with its
problems). NATS_URL, NATS_USER and NATS_PASSWORD select the server; the user needs $SRV.> and
_INBOX.> (the worker's user from nats-config has both). Exits 1 when no worker answers.

  --output table|json   table (default): one row per worker, refused configs below it;
                        json: an array of every worker's full report (--json is the same)
  --wait MS             how long to collect answers (default 1000)`;

interface WorkerReport {
  readonly id: string;
  readonly version: string;
  readonly started: string;
  readonly stats: WorkerStats | undefined;
}

function report(s: ServiceStats): WorkerReport {
  const vend = s.endpoints?.find((e) => e.name === "vend");
  return { id: s.id, version: s.version, started: s.started, stats: vend?.data as WorkerStats | undefined };
}

const HEADERS = ["WORKER", "VERSION", "UP SINCE", "SERVED", "FAILED", "REPLAYED", "IN FLIGHT", "QUEUED", "OVERLOADED", "CONFIG"];

function tableLines(reports: readonly WorkerReport[]): string[] {
  const rows = reports.map((r) => {
    const s = r.stats;
    const counts = s ? [s.served, s.failed, s.replayed, s.inFlight, s.queued, s.overloaded].map(String) : ["-", "-", "-", "-", "-", "-"];
    return [r.id, r.version, r.started, ...counts, s ? `${s.config.version} (${s.config.source})` : "-"];
  });
  const refusals = reports.flatMap((r) => {
    const refusal = r.stats?.config.lastRefusal;
    if (!refusal || !r.stats) return [];
    return [
      `${r.id}:`,
      `  REFUSED    ${refusal.version} at ${new Date(refusal.at).toISOString()}, keeping ${r.stats.config.version}:`,
      ...refusal.problems.filter((p) => p.severity === "error").map((p) => `             ${p.path ? `${p.path}: ` : ""}${p.message}`),
    ];
  });
  // A worker that can not follow its config source (a lost KV bucket) still serves its last good one.
  const sourceProblems = reports.flatMap((r) => {
    const problem = r.stats?.config.sourceProblem;
    return problem ? [`${r.id}:`, `  SOURCE     ${problem}`] : [];
  });
  const notes = [...refusals, ...sourceProblems];
  return [...formatTable(HEADERS, rows), ...(notes.length ? ["", ...notes] : [])];
}

export async function statusCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { values } = parse(argv, { output: { type: "string" }, json: { type: "boolean", default: false }, wait: { type: "string" } });
  if (values.json && values.output !== undefined && values.output !== "json") throw new UsageError(`--json and --output ${values.output} contradict each other; use one`);
  const output = values.json ? "json" : parseOutput(values.output, ["table", "json"]);
  const maxWait = parseIntFlag("wait", values.wait) ?? 1000;
  const env = requesterEnv();
  const nc = await connectNats(env, "credvend-status");
  try {
    const reports: WorkerReport[] = [];
    try {
      const replies = await nc.services.client({ maxWait, strategy: RequestStrategy.Timer }).stats(WORKER_SERVICE_NAME);
      for await (const s of replies) reports.push(report(s));
    } catch (error) {
      // "No responders" is the normal answer when no worker runs: reported as such below.
      if ((error as { code?: unknown }).code !== "503") throw error;
    }
    reports.sort((a, b) => a.id.localeCompare(b.id));
    if (output === "json") {
      out(JSON.stringify(reports, null, 2));
      return reports.length ? 0 : 1;
    }
    if (reports.length === 0) {
      process.stderr.write(`credvend status: no credvend worker answered on ${shownNatsUrl(env)} within ${maxWait} ms (start one with credvend worker, or check NATS_URL)\n`);
      return 1;
    }
    for (const line of tableLines(reports)) out(line);
    return 0;
  } finally {
    await nc.close();
  }
}
