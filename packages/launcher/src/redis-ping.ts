import net from "node:net";

/**
 * True when a Redis server on host:port answers PING with PONG (raw RESP, no client library).
 * With `acceptNoAuth`, a -NOAUTH reply also counts (a password-protected server is up).
 */
export function redisPing(port: number, host = "127.0.0.1", timeoutMs = 500, acceptNoAuth = false): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let reply = "";
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once("error", () => finish(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      reply += chunk;
      // "-LOADING ..." also ends with CRLF: only +PONG (or an expected -NOAUTH) means ready.
      if (reply.includes("\r\n")) finish(reply.startsWith("+PONG") || (acceptNoAuth && reply.startsWith("-NOAUTH")));
    });
  });
}
