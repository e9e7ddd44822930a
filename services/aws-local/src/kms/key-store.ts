// The emulator's KMS keys and aliases, and how a KeyId in any of its four forms names a key.
// Keys of every seeded account live here: a bare key id or alias name means the caller's own
// account (as in KMS); a key or alias ARN names the account, which is how a caller reaches a key in
// another account (whose key policy and the caller's IAM policy must then both allow).

import { AwsError, type Clock, type PolicyDocument, type SeedKmsKey } from "../types.js";
import { MAX_KEY_ID_BYTES } from "./ciphertext.js";
import { decodeSeedMaterial, deriveKeyMaterial, keyMaterialId } from "./key-material.js";

/**
 * KMS's NotFoundException, with the status the live service sends: 400, as for its other client
 * errors (the Smithy model's httpError trait says 404; the SDK goes by __type either way).
 */
export function notFound(message: string): AwsError {
  return new AwsError("NotFoundException", message, 400);
}

export type KeyState = "Enabled" | "Disabled" | "PendingDeletion";

export interface KmsKey {
  readonly accountId: string;
  readonly id: string;
  readonly arn: string;
  readonly material: Buffer;
  readonly materialId: string;
  readonly description: string;
  readonly policy: PolicyDocument;
  /** Epoch ms. */
  readonly creationDate: number;
  readonly tags: readonly { readonly TagKey: string; readonly TagValue: string }[];
  state: KeyState;
  /** Epoch ms, while PendingDeletion. */
  deletionDate?: number;
  pendingWindowDays?: number;
}

export interface KmsAlias {
  readonly accountId: string;
  readonly name: string;
  readonly arn: string;
  keyId: string;
  readonly creationDate: number;
  lastUpdatedDate: number;
}

export interface ResolvedKey {
  readonly key: KmsKey;
  /** The alias name used in the request, if any (for kms:RequestAlias). */
  readonly alias?: string;
}

const KEY_ID = /^[A-Za-z0-9-]+$/;
export const ALIAS_NAME = /^alias\/[a-zA-Z0-9:/_-]+$/;

/** What KMS attaches when CreateKey has no Policy: the account (and so IAM policies) may do anything. */
export function defaultKeyPolicy(accountId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Id: "key-default-1",
    Statement: [
      {
        Sid: "Enable IAM User Permissions",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
    ],
  };
}

export class KeyStore {
  private readonly keys = new Map<string, KmsKey>();
  private readonly aliases = new Map<string, KmsAlias>();

  constructor(
    readonly region: string,
    private readonly clock: Clock,
  ) {}

  keyArn(accountId: string, id: string): string {
    return `arn:aws:kms:${this.region}:${accountId}:key/${id}`;
  }

  aliasArn(accountId: string, name: string): string {
    return `arn:aws:kms:${this.region}:${accountId}:${name}`;
  }

  addKey(fields: Omit<KmsKey, "arn" | "materialId" | "creationDate" | "state"> & { enabled: boolean }): KmsKey {
    if (!KEY_ID.test(fields.id) || fields.id.length > MAX_KEY_ID_BYTES) {
      throw new Error(`KMS key id "${fields.id}" must be 1-${MAX_KEY_ID_BYTES} letters, digits or dashes`);
    }
    if (this.keys.has(fields.id)) throw new Error(`KMS key id "${fields.id}" is used twice`);
    const key: KmsKey = {
      accountId: fields.accountId,
      id: fields.id,
      arn: this.keyArn(fields.accountId, fields.id),
      material: fields.material,
      materialId: keyMaterialId(fields.material),
      description: fields.description,
      policy: fields.policy,
      creationDate: this.clock.now(),
      tags: fields.tags,
      state: fields.enabled ? "Enabled" : "Disabled",
    };
    this.keys.set(key.id, key);
    return key;
  }

  addSeedKey(accountId: string, seed: SeedKmsKey): void {
    const material = seed.material === undefined ? deriveKeyMaterial(seed.id) : decodeSeedMaterial(seed.id, seed.material);
    this.addKey({
      accountId,
      id: seed.id,
      material,
      description: seed.description ?? "",
      policy: seed.policy ?? defaultKeyPolicy(accountId),
      tags: [],
      enabled: seed.enabled ?? true,
    });
    for (const alias of seed.aliases ?? []) {
      if (!ALIAS_NAME.test(alias) || alias.startsWith("alias/aws/")) throw new Error(`seed KMS key ${seed.id}: invalid alias "${alias}"`);
      if (this.aliases.has(`${accountId}/${alias}`)) throw new Error(`seed KMS alias "${alias}" is used twice`);
      this.addAlias(accountId, alias, seed.id);
    }
  }

  findKey(id: string): KmsKey | undefined {
    return this.keys.get(id);
  }

  findAlias(accountId: string, name: string): KmsAlias | undefined {
    return this.aliases.get(`${accountId}/${name}`);
  }

  addAlias(accountId: string, name: string, keyId: string): KmsAlias {
    const now = this.clock.now();
    const alias: KmsAlias = { accountId, name, arn: this.aliasArn(accountId, name), keyId, creationDate: now, lastUpdatedDate: now };
    this.aliases.set(`${accountId}/${name}`, alias);
    return alias;
  }

  /** The aliases of one account, by name. */
  allAliases(accountId: string): readonly KmsAlias[] {
    return [...this.aliases.values()]
      .filter((a) => a.accountId === accountId)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  clear(): void {
    this.keys.clear();
    this.aliases.clear();
  }

  /**
   * Resolves a key id, key ARN, alias name or alias ARN; NotFoundException when nothing matches.
   * Ids and alias names are looked up in `callerAccount`; ARNs in the account they name.
   */
  resolve(keyId: string, callerAccount: string): ResolvedKey {
    let account = callerAccount;
    let rest = keyId;
    if (keyId.startsWith("arn:")) {
      const m = /^arn:aws:kms:([a-z0-9-]+):(\d{12}):(.*)$/.exec(keyId);
      if (m === null || m[1] !== this.region) {
        throw notFound(`Invalid arn ${keyId}: aws-local serves region ${this.region} only`);
      }
      account = m[2] ?? "";
      rest = m[3] ?? "";
      if (rest.startsWith("key/")) rest = rest.slice(4);
      else if (!rest.startsWith("alias/")) throw notFound(`Invalid arn ${keyId}: expected …:key/<id> or …:alias/<name>`);
    }
    if (rest.startsWith("alias/")) {
      const alias = this.aliases.get(`${account}/${rest}`);
      const key = alias === undefined ? undefined : this.keys.get(alias.keyId);
      if (key === undefined) throw notFound(`Alias ${this.aliasArn(account, rest)} is not found.`);
      return { key, alias: rest };
    }
    if (!KEY_ID.test(rest)) throw notFound(`Invalid keyId '${keyId}'`);
    const key = this.keys.get(rest);
    if (key === undefined || key.accountId !== account) throw notFound(`Key '${this.keyArn(account, rest)}' does not exist`);
    return { key };
  }
}
