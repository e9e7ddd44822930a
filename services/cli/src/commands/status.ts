import { WORKER_SERVICE_NAME, type WorkerStats } from "@credvend/worker";
import { RequestStrategy, type ServiceStats } from "nats";
import { parse, parseIntFlag } from "../args.js";
import { requesterEnv } from "../cli-env.js";
import { connectNats } from "../connect.js";

export const STATUS_USAGE = `usage: credvend status [--json] [--wait MS]

Asks every running worker for its status over NATS ($SRV.STATS.${WORKER_SERVICE_NAME}): requests
served, failed and in flight, the live config version, and the last refused config (with its
problems). NATS_URL, NATS_USER and NATS_PASSWORD select the server; the user needs $SRV.> and
_INBOX.> (the worker's user from nats-config has both). Exits 1 when no worker answers.`;

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

export async function statusCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { values } = parse(argv, { json: { type: "boolean", default: false }, wait: { type: "string" } });
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
    if (values.json) {
      out(JSON.stringify(reports, null, 2));
      return reports.length ? 0 : 1;
    }
    if (reports.length === 0) {
      process.stderr.write(`credvend status: no credvend worker answered on ${env.natsUrl} within ${maxWait} ms (start one with credvend worker, or check NATS_URL)\n`);
      return 1;
    }
    for (const r of reports.sort((a, b) => a.id.localeCompare(b.id))) {
      const s = r.stats;
      out(`${r.id}  v${r.version}  up since ${r.started}`);
      if (!s) continue;
      out(`  requests   served ${s.served}  failed ${s.failed}  replayed ${s.replayed}  in flight ${s.inFlight}  queued ${s.queued}  overloaded ${s.overloaded}`);
      out(`  config     ${s.config.version} from ${s.config.source}, loaded ${new Date(s.config.loadedAt).toISOString()}`);
      if (s.config.lastRefusal) {
        const refusal = s.config.lastRefusal;
        out(`  REFUSED    ${refusal.version} at ${new Date(refusal.at).toISOString()}, keeping ${s.config.version}:`);
        for (const p of refusal.problems.filter((x) => x.severity === "error")) out(`             ${p.path ? `${p.path}: ` : ""}${p.message}`);
      }
    }
    return 0;
  } finally {
    await nc.close();
  }
}
