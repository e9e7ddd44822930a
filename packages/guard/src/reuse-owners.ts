import { createHash } from "node:crypto";
import { isValidName } from "@credvend/protocol";
import type { Redis } from "./connection.js";
import { callRedis } from "./redis-errors.js";
import { guardCommands, type GuardCommands } from "./scripts.js";

export const DEFAULT_REUSE_OWNER_PREFIX = "credvend:reuse-owner";
/** Owners of recipients' data keys (the worker that generated one lends it to the others). */
export const DATA_KEY_OWNER_PREFIX = "credvend:data-key-owner";

/**
 * Which worker of the fleet owns each shared thing, a reusable session or a recipient's data key:
 * the one that calls AWS for it, while the others ask it. Only worker ids are written here, never
 * anything of what is owned.
 */
export class ReuseOwners {
  readonly #redis: Redis;
  readonly #commands: GuardCommands;
  readonly #prefix: string;

  constructor(redis: Redis, options: { prefix?: string } = {}) {
    this.#redis = redis;
    this.#commands = guardCommands(redis);
    this.#prefix = options.prefix ?? DEFAULT_REUSE_OWNER_PREFIX;
  }

  /**
   * Makes `self` the owner of `reuseKey` (a session's reuse key, or a data key's cache key) for `holdMs`, unless another worker owns it
   * (then its id is returned and nothing changes). `displace` names an owner that did not answer:
   * if it is still the owner, `self` takes over. Undefined when `self` owns it now.
   */
  async claim(tenant: string, reuseKey: string, self: string, holdMs: number, displace = ""): Promise<string | undefined> {
    const owner = await callRedis(this.#redis, "reuse owner claim", () =>
      this.#commands.cvReuseOwner(this.#key(tenant, reuseKey), self, Math.max(1, Math.ceil(holdMs)), displace));
    return owner === "" ? undefined : owner;
  }

  // The reuse key may name the tenant and hash the plan; hashed again so the key's length is fixed.
  #key(tenant: string, reuseKey: string): string {
    if (!isValidName(tenant)) throw new RangeError(`invalid tenant ${JSON.stringify(tenant)}`);
    return `${this.#prefix}:{${tenant}}:${createHash("sha256").update(reuseKey).digest("base64url")}`;
  }
}
