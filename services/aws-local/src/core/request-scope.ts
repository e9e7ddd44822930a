// Facts of the HTTP request being served that policy evaluation needs but no operation passes
// along (today: the caller's address, aws:SourceIp). Kept in AsyncLocalStorage so the evaluator
// aws-local injects can read them without every STS, KMS and IAM call site threading them through.
import { AsyncLocalStorage } from "node:async_hooks";

export interface RequestScope {
  /** The TCP peer address, IPv4-mapped IPv6 written as plain IPv4 (as AWS reports aws:SourceIp). */
  readonly sourceIp: string | undefined;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function runInRequestScope<T>(remoteAddress: string | undefined, fn: () => T): T {
  const sourceIp = remoteAddress?.startsWith("::ffff:") === true && remoteAddress.includes(".") ? remoteAddress.slice(7) : remoteAddress;
  return storage.run({ sourceIp }, fn);
}

export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}
