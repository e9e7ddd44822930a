// A real HTTP proxy in front of aws-local that spoils the next STS AssumeRole answers on the wire
// (aws-local's fault API makes well-formed errors; this makes broken successes). Requests pass
// unchanged, Host header included, so SigV4 signatures made for the proxy's address verify.
import http from "node:http";
import type { AddressInfo } from "node:net";

/** How a 200 AssumeRole answer is spoiled. */
export type Spoil =
  /** The status and headers as sent, then half the body and the connection closed. */
  | "truncated"
  /** A complete 200 whose body is not XML. */
  | "garbage"
  /** A well-formed 200 AssumeRoleResponse with no Credentials element. */
  | "no-credentials";

export interface CorruptingProxy {
  readonly endpoint: string;
  /** Spoils the next `count` AssumeRole answers that STS gave with 200. */
  spoil(how: Spoil, count: number): void;
  /** AssumeRole answers spoiled so far. */
  readonly spoiled: number;
  stop(): Promise<void>;
}

export async function startCorruptingProxy(target: string): Promise<CorruptingProxy> {
  const upstream = new URL(target);
  let how: Spoil = "garbage";
  let left = 0;
  let spoiled = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const assumeRole = body.toString("latin1").startsWith("Action=AssumeRole&");
      const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        const parts: Buffer[] = [];
        up.on("data", (c: Buffer) => parts.push(c));
        up.on("end", () => {
          const answer = Buffer.concat(parts);
          if (!assumeRole || up.statusCode !== 200 || left === 0) {
            res.writeHead(up.statusCode ?? 502, up.headers).end(answer);
            return;
          }
          left -= 1;
          spoiled += 1;
          if (how === "truncated") {
            res.writeHead(200, up.headers);
            res.write(answer.subarray(0, Math.floor(answer.length / 2)));
            res.socket?.destroy();
            return;
          }
          const text = how === "garbage"
            ? "<html><body>502 Bad Gateway (a proxy's error page)"
            : answer.toString("utf8").replace(/<Credentials>[\s\S]*<\/Credentials>/, "");
          const headers = { ...up.headers, "content-length": String(Buffer.byteLength(text)) };
          res.writeHead(200, headers).end(text);
        });
      });
      out.on("error", () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spoil(h, count) {
      how = h;
      left = count;
    },
    get spoiled() {
      return spoiled;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
