// The Redis connection URL: redis:// or rediss:// (TLS) for one server; redis+cluster:// or
// rediss+cluster:// with a comma-separated list of seed nodes for a Redis Cluster (the seeds are
// only where discovery starts: the client learns every primary and replica from the cluster); and
// redis+sentinel:// or rediss+sentinel:// with Sentinels and the primary's name as the path, for a
// Sentinel-managed primary (the client asks the Sentinels where the primary is, after a failover too).

export interface ClusterUrl {
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: boolean;
}

export interface SentinelUrl extends ClusterUrl {
  /** The primary's name in Sentinel (`sentinel monitor NAME ...`). */
  readonly masterName: string;
}

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/;
const SENTINEL_URL = /^(rediss?)\+sentinel:\/\/(?:([^@/]*)@)?([^/?#]+)\/([A-Za-z0-9._-]+)$/;
const NODE = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/;

/** True for a redis+cluster:// or rediss+cluster:// URL. */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//.test(url);
}

/** True for a redis+sentinel:// or rediss+sentinel:// URL. */
export function isSentinelUrl(url: string): boolean {
  return /^rediss?\+sentinel:\/\//.test(url);
}

/** Parses a cluster URL; the RangeError says what a valid one looks like (never echoing a password). */
export function parseClusterUrl(url: string): ClusterUrl {
  const match = CLUSTER_URL.exec(url);
  const example = "e.g. redis+cluster://:password@10.0.0.1:6379,10.0.0.2:6379 (rediss+cluster:// for TLS)";
  if (!match) throw new RangeError(`a Redis Cluster URL is redis+cluster://[user:password@]host:port[,host:port...], ${example}`);
  const [, scheme, userinfo, hostList] = match as unknown as [string, string, string | undefined, string];
  return { nodes: nodeList(hostList, "Redis Cluster node", example), ...credentials(userinfo), tls: scheme === "rediss" };
}

/** Parses a Sentinel URL; the RangeError says what a valid one looks like (never echoing a password). */
export function parseSentinelUrl(url: string): SentinelUrl {
  const match = SENTINEL_URL.exec(url);
  const example = "e.g. redis+sentinel://:password@10.0.0.1:26379,10.0.0.2:26379/mymaster (rediss+sentinel:// for TLS)";
  if (!match) throw new RangeError(`a Redis Sentinel URL is redis+sentinel://[user:password@]host:port[,host:port...]/PRIMARY-NAME, ${example}`);
  const [, scheme, userinfo, hostList, masterName] = match as unknown as [string, string, string | undefined, string, string];
  return { nodes: nodeList(hostList, "Sentinel", example), ...credentials(userinfo), tls: scheme === "rediss", masterName };
}

function nodeList(hostList: string, what: string, example: string): ClusterUrl["nodes"] {
  return hostList.split(",").map((part) => {
    const node = NODE.exec(part.trim());
    const port = Number(node?.[3]);
    if (!node || port < 1 || port > 65_535) throw new RangeError(`${what} ${JSON.stringify(part)} is not host:port, ${example}`);
    return { host: node[1] ?? node[2] ?? "", port };
  });
}

/** The user and password of the data nodes (Sentinels are asked without AUTH). */
function credentials(userinfo: string | undefined): Pick<ClusterUrl, "username" | "password"> {
  const colon = userinfo?.indexOf(":") ?? -1;
  const user = userinfo === undefined ? undefined : decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = userinfo === undefined || colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1));
  return { username: user === "" ? undefined : user, password: password === "" ? undefined : password };
}
