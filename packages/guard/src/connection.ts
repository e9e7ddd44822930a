import type { Cluster, Redis as SingleRedis } from "ioredis";

/** A connection to one Redis server or to a Redis Cluster: every guard works with either. */
export type Redis = SingleRedis | Cluster;
