import net from "node:net";

/** A decoded RESP reply: status and bulk strings, integers, nil, arrays, and error replies. */
export type RespValue = string | number | null | RespError | RespValue[];

/** An error reply (-ERR ..., -NOAUTH ...). */
export class RespError extends Error {
  override readonly name = "RespError";
}

export interface RedisCommandOptions {
  host?: string;
  /** AUTH first (the reply to AUTH itself is not returned). */
  password?: string;
  /** Default 1000 ms. */
  timeoutMs?: number;
}

/**
 * Sends one command to a Redis server over a fresh connection and resolves with its reply (raw
 * RESP, no client library: the launcher starts servers before any client exists). Rejects on a
 * connection failure or timeout; an error reply resolves as a RespError.
 */
export function redisCommand(port: number, args: readonly (string | number)[], options: RedisCommandOptions = {}): Promise<RespValue> {
  const commands = options.password === undefined ? [args] : [["AUTH", options.password], args];
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: options.host ?? "127.0.0.1", port });
    let buffer = Buffer.alloc(0);
    const replies: RespValue[] = [];
    const finish = (error: Error | undefined): void => {
      socket.destroy();
      if (error) reject(error);
      else resolve(replies[replies.length - 1] ?? null);
    };
    socket.setTimeout(options.timeoutMs ?? 1000, () => finish(new Error(`redis ${String(args[0])} on port ${port}: no reply in time`)));
    socket.once("error", (err) => finish(err));
    socket.once("connect", () => socket.write(commands.map(encode).join("")));
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const parsed = parse(buffer, 0);
        if (parsed === undefined) return;
        replies.push(parsed.value);
        buffer = buffer.subarray(parsed.end);
        if (replies.length === commands.length) return finish(undefined);
      }
    });
  });
}

function encode(args: readonly (string | number)[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${String(a)}\r\n`).join("")}`;
}

/** One reply from `buf` at `at`, or undefined while it is incomplete. */
function parse(buf: Buffer, at: number): { value: RespValue; end: number } | undefined {
  const lineEnd = buf.indexOf("\r\n", at);
  if (lineEnd < 0) return undefined;
  const line = buf.toString("utf8", at + 1, lineEnd);
  const next = lineEnd + 2;
  switch (String.fromCharCode(buf[at] ?? 0)) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new RespError(line), end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buf.length < next + length + 2) return undefined;
      return { value: buf.toString("utf8", next, next + length), end: next + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let end = next;
      for (let i = 0; i < count; i += 1) {
        const item = parse(buf, end);
        if (item === undefined) return undefined;
        items.push(item.value);
        end = item.end;
      }
      return { value: items, end };
    }
    default:
      throw new Error(`unexpected RESP reply ${JSON.stringify(line)}`);
  }
}
