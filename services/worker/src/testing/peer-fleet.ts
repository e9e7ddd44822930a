// Test support for the peer-link tests (fleet-reuse, fleet-data-keys): one NATS connection and one
// Redis client for the file, and every PeerLink made through it stopped at the end.
import { after, before } from "node:test";
import { createRedis, waitReady, type Redis } from "@credvend/guard";
import { natsUrl, redisUrl } from "@credvend/testkit";
import { connect, type NatsConnection } from "nats";
import pino from "pino";
import { PeerLink } from "../aws/peer-link.js";

export interface PeerFleet {
  readonly nc: () => NatsConnection;
  readonly redis: () => Redis;
  /** A PeerLink for worker `id`, serving once the caller registered its answerers (call serve()). */
  link(id: string): PeerLink;
}

export function usePeerFleet(name: string): PeerFleet {
  let nc: NatsConnection | undefined;
  let redis: Redis | undefined;
  const links: PeerLink[] = [];
  const log = pino({ level: process.env.FLEET_TEST_LOG ?? "silent" });
  before(async () => {
    nc = await connect({ servers: await natsUrl() });
    redis = createRedis(await redisUrl(), { name });
    await waitReady(redis, 5000);
  });
  after(async () => {
    for (const l of links) l.stop();
    await nc?.drain();
    redis?.disconnect();
  });
  const need = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error("usePeerFleet: used before its before() hook ran");
    return v;
  };
  return {
    nc: () => need(nc),
    redis: () => need(redis),
    link(id) {
      const link = new PeerLink({ nc: need(nc), selfId: () => id, log });
      links.push(link);
      return link;
    },
  };
}
