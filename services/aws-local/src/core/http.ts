// Small HTTP helpers: a bounded body reader and reply writing with the headers every AWS reply has.
import type { IncomingMessage, ServerResponse } from "node:http";

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
// Beyond this we stop draining an oversized body and close the connection instead.
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

export interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export type BodyResult = { readonly ok: true; readonly body: Buffer } | { readonly ok: false; readonly bytes: number };

/** Reads the body up to `limit` bytes; past it, keeps draining (bounded) and reports the size. */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const finish = (result: BodyResult): void => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    if (declared > DRAIN_LIMIT_BYTES) {
      finish({ ok: false, bytes: declared });
      return;
    }
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= limit) chunks.push(chunk);
      else if (bytes > DRAIN_LIMIT_BYTES) finish({ ok: false, bytes });
    });
    req.on("end", () => finish(bytes <= limit ? { ok: true, body: Buffer.concat(chunks, bytes) } : { ok: false, bytes }));
    req.on("error", (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
  });
}

export function writeReply(res: ServerResponse, reply: Reply, requestId: string, closeConnection = false): void {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(reply.body, "utf8");
  // Node sets an accurate `Date` header itself (sendDate); the SDK derives its clock offset from it.
  res.writeHead(reply.status, {
    "content-type": reply.contentType,
    "content-length": String(body.length),
    "x-amzn-requestid": requestId,
    ...(closeConnection ? { connection: "close" } : {}),
    ...reply.headers,
  });
  res.end(body);
}

/** Header map with lowercase names; repeated headers joined with "," as SigV4 canonicalises them. */
export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  const distinct = req.headersDistinct;
  for (const name of Object.keys(distinct)) {
    const values = distinct[name];
    if (values !== undefined) out[name] = values.length === 1 ? (values[0] ?? "") : values.map((v) => v.trim()).join(",");
  }
  return out;
}
