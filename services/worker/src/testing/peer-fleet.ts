// Test support for the peer-link tests (fleet-reuse, fleet-data-keys): one NATS connection and one
// Redis client for the file, and every PeerLink made through it stopped at the end.
import { after, before } from "node:test";
import { createRedis, waitReady, type Redis } from "@credvend/guard";
import { natsUrl, redisUrl } from "@credvend/testkit";
import { connect, type NatsConnection } from "nats";
import pino from "pino";
import { randomBytes } from "node:crypto";
import { PeerAuth } from "../aws/peer-auth.js";
import { PeerLink } from "../aws/peer-link.js";

export interface PeerFleet {
  readonly nc: () => NatsConnection;
  readonly redis: () => Redis;
  /**
   * A PeerLink for worker `id`, serving once the caller registered its answerers (call serve()),
   * signed with this file's fleet peer key unless `peerKey` names another (null: none).
   */
  link(id: string, peerKey?: Uint8Array | null): PeerLink;
  /** This file's fleet peer key. */
  readonly peerKey: Uint8Array;
}

export function usePeerFleet(name: string): PeerFleet {
  let nc: NatsConnection | undefined;
  let redis: Redis | undefined;
  const links: PeerLink[] = [];
  const log = pino({ level: process.env.FLEET_TEST_LOG ?? "silent" });
  const peerKey = new Uint8Array(randomBytes(32));
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
    peerKey,
    link(id, key = peerKey) {
      const link = new PeerLink({ nc: need(nc), selfId: () => id, log, auth: key === null ? undefined : new PeerAuth(key) });
      links.push(link);
      return link;
    },
  };
}
