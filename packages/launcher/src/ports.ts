import net from "node:net";
import { ServerStartError } from "./errors.js";

/** How many sets of free ports a launcher tries when another process took one first. */
export const PORT_ATTEMPTS = 3;

/** A server that did not start because a port it was given was taken meanwhile (see freePort). */
export function lostPortRace(err: unknown): boolean {
  return err instanceof ServerStartError && /address already in use/i.test(err.output);
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago. Another process can still take it before
 * the caller binds it, so the server launchers retry on "address in use" when they chose the port.
 */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close((err) => (err ? reject(err) : port > 0 ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}
