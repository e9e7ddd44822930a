import { randomBytes, randomUUID } from "node:crypto";

// Same rule as NAME_PATTERN in @credvend/protocol (subjects.ts); duplicated as a literal so the
// harness can check its own output without pulling the protocol package into every test.
const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const MAX_NAME = 64;

let counter = 0;

/**
 * A tenant/principal name that no other call, in this process or another, returns: parallel tests
 * then never share NATS subjects or Redis keys. The prefix is kept readable but made valid.
 */
export function uniqueName(prefix = "t"): string {
  counter += 1;
  // pid and counter make it unique within this machine; the random part covers pid reuse and other hosts.
  const suffix = `${process.pid.toString(36)}-${counter.toString(36)}${randomBytes(3).toString("hex")}`;
  const cleaned = prefix.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^[^a-z0-9]+/, "");
  const head = cleaned.slice(0, MAX_NAME - suffix.length - 1).replace(/[-_]+$/, "");
  const name = head === "" ? suffix : `${head}-${suffix}`;
  if (!NAME_PATTERN.test(name)) throw new Error(`uniqueName produced an invalid name ${JSON.stringify(name)}`);
  return name;
}

/** A fresh request id (a UUID, which matches REQUEST_ID_PATTERN). */
export function uniqueRequestId(): string {
  return randomUUID();
}
