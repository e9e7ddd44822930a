// IpAddress / NotIpAddress: is an address inside a CIDR block (RFC 4632; a bare address is a /32 or
// /128)? IPv4 and IPv6, never across families. Malformed policy values and context values never match.
import { BlockList, isIP } from "node:net";

const MAX_CACHED = 1024;
const blocks = new Map<string, BlockList | null>();

function blockOf(cidr: string): BlockList | null {
  const cached = blocks.get(cidr);
  if (cached !== undefined) return cached;
  const slash = cidr.indexOf("/");
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  const family = isIP(address);
  const maxPrefix = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(maxPrefix) : cidr.slice(slash + 1);
  let block: BlockList | null = null;
  if (family !== 0 && /^\d{1,3}$/.test(prefixText) && Number(prefixText) <= maxPrefix) {
    block = new BlockList();
    block.addSubnet(address, Number(prefixText), family === 4 ? "ipv4" : "ipv6");
  }
  if (blocks.size >= MAX_CACHED) blocks.clear();
  blocks.set(cidr, block);
  return block;
}

export function ipInCidr(ip: string, cidr: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  const block = blockOf(cidr.trim());
  return block !== null && block.check(ip, family === 4 ? "ipv4" : "ipv6");
}
