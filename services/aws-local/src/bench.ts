// Throughput of aws-local with the unmodified JS SDK: signed GetCallerIdentity and AssumeRole at a
// fixed concurrency. aws-local runs in a child process so the SDK's work does not share its core.
//   node services/aws-local/dist/bench.js [--seconds 5] [--concurrency 32]
import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { devCredentials } from "./dev-seed.js";
import { signHeaders } from "./sigv4.js";

interface Result {
  readonly name: string;
  readonly calls: number;
  readonly errors: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
}

async function startChild(): Promise<{ endpoint: string; stop: () => void }> {
  // The `credvend aws-local` command, so the measured server is exactly what users run.
  const cli = fileURLToPath(new URL("../../cli/bin/credvend.js", import.meta.url));
  const child = spawn(process.execPath, [cli, "aws-local", "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let buffer = "";
    child.stdout.on("data", (d: Buffer) => {
      buffer += d.toString();
      const m = /listening on (http:\/\/\S+),/.exec(buffer);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`aws-local exited early (${code}): ${buffer}`)));
  });
  return { endpoint, stop: () => child.kill("SIGTERM") };
}

async function measure(name: string, seconds: number, concurrency: number, call: () => Promise<unknown>): Promise<Result> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          await call();
          latencies.push(performance.now() - t0);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { name, calls: latencies.length, errors, seconds: elapsed, p50: pct(0.5), p99: pct(0.99) };
}

/**
 * A light client: one request signed once and replayed (valid for the 5-minute skew window; each
 * replay is still fully verified). Shows the server's own capacity, which the SDK client, being
 * much heavier per call, can not saturate from the same machine.
 */
function rawReplayer(endpoint: string, body: string): () => Promise<void> {
  const url = new URL(endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const base = { "content-type": "application/x-www-form-urlencoded; charset=utf-8" };
  const headers = {
    ...base,
    "content-length": String(Buffer.byteLength(body)),
    ...signHeaders({ method: "POST", host: url.host, headers: base, body, ...devCredentials("credvend-vendor"), region: "us-east-1", service: "sts", nowMs: Date.now() }),
  };
  return () =>
    new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: "POST", path: "/", headers, agent }, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on("error", reject);
      req.end(body);
    });
}

async function run(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: "string" }, concurrency: { type: "string" } } });
  const seconds = Number(values.seconds ?? 5);
  const concurrency = Number(values.concurrency ?? 32);
  const server = await startChild();
  try {
    const sts = new STSClient({ region: "us-east-1", endpoint: server.endpoint, credentials: devCredentials("credvend-vendor"), maxAttempts: 1 });
    // Warm up connections, code paths and the signing-key cache.
    await measure("warm-up", 1, concurrency, () => sts.send(new GetCallerIdentityCommand({})));
    const results = [
      await measure("GetCallerIdentity", seconds, concurrency, () => sts.send(new GetCallerIdentityCommand({}))),
      await measure("AssumeRole", seconds, concurrency, () =>
        sts.send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::000000000000:role/credvend-demo", RoleSessionName: "bench", DurationSeconds: 900 })),
      ),
      await measure("raw GetCallerIdentity", seconds, concurrency, rawReplayer(server.endpoint, "Action=GetCallerIdentity&Version=2011-06-15")),
      await measure(
        "raw AssumeRole",
        seconds,
        concurrency,
        rawReplayer(
          server.endpoint,
          `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent("arn:aws:iam::000000000000:role/credvend-demo")}&RoleSessionName=bench&DurationSeconds=900`,
        ),
      ),
    ];
    for (const r of results) {
      process.stdout.write(
        `${r.name.padEnd(22)} ${(r.calls / r.seconds).toFixed(0).padStart(7)} calls/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  errors ${r.errors}  (concurrency ${concurrency}, ${r.seconds.toFixed(1)} s)\n`,
      );
    }
  } finally {
    server.stop();
  }
}

run().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
