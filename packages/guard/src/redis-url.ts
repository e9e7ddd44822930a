// The Redis connection URL: redis:// or rediss:// (TLS) for one server, and redis+cluster:// or
// rediss+cluster:// with a comma-separated list of seed nodes for a Redis Cluster. The seeds are
// only where discovery starts: the client learns every primary and replica from the cluster.

export interface ClusterUrl {
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: boolean;
}

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/;
const NODE = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/;

/** True for a redis+cluster:// or rediss+cluster:// URL. */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//.test(url);
}

/** Parses a cluster URL; the RangeError says what a valid one looks like (never echoing a password). */
export function parseClusterUrl(url: string): ClusterUrl {
  const match = CLUSTER_URL.exec(url);
  const example = "e.g. redis+cluster://:password@10.0.0.1:6379,10.0.0.2:6379 (rediss+cluster:// for TLS)";
  if (!match) throw new RangeError(`a Redis Cluster URL is redis+cluster://[user:password@]host:port[,host:port...], ${example}`);
  const [, scheme, userinfo, hostList] = match as unknown as [string, string, string | undefined, string];
  const nodes = hostList.split(",").map((part) => {
    const node = NODE.exec(part.trim());
    const port = Number(node?.[3]);
    if (!node || port < 1 || port > 65_535) throw new RangeError(`Redis Cluster node ${JSON.stringify(part)} is not host:port, ${example}`);
    return { host: node[1] ?? node[2] ?? "", port };
  });
  const colon = userinfo?.indexOf(":") ?? -1;
  const user = userinfo === undefined ? undefined : decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = userinfo === undefined || colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
  return { nodes, username: user === "" ? undefined : user, password: password === "" ? undefined : password, tls: scheme === "rediss" };
}
