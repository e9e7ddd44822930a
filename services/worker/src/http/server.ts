// The worker's HTTP port: /healthz (the process is alive), /readyz (it can vend; 503 with the
// reasons otherwise; either way then a "warning: ..." line for each thing to fix), /metrics
// (Prometheus text). Nothing else is served.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { WorkerMetrics } from "./metrics.js";
import type { ReadinessCheck } from "./readiness.js";

export interface HttpServer {
  /** http://host:port, the port the server actually bound (port 0 picks a free one). */
  readonly url: string;
  close(): Promise<void>;
}

export async function startHttpServer(host: string, port: number, checks: readonly ReadinessCheck[], metrics: WorkerMetrics): Promise<HttpServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const reasons = checks.flatMap((c) => {
        const why = c.notReady();
        return why ? [`${c.name}: ${why}`] : [];
      });
      const warnings = checks.flatMap((c) => (c.warnings?.() ?? []).map((w) => `warning: ${c.name}: ${w}\n`)).join("");
      res.writeHead(reasons.length ? 503 : 200, { "content-type": "text/plain" }).end(`${reasons.length ? `${reasons.join("\n")}\n` : "ready\n"}${warnings}`);
    } else if (path === "/metrics") {
      metrics.text().then(
        (text) => res.writeHead(200, { "content-type": metrics.contentType }).end(text),
        () => res.writeHead(500).end("metrics failed\n"),
      );
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: /healthz, /readyz, /metrics\n");
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
