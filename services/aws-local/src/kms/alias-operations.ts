// CreateAlias and ListAliases.

import { AwsError } from "../types.js";
import { ALIAS_NAME, notFound, type KmsAlias } from "./key-store.js";
import { epochSeconds, MAX_KEY_ID_LENGTH, ok, type KmsOperation } from "./operation.js";

const ALIAS_CHARACTERS = /^[a-zA-Z0-9:/_-]+$/;

const createAlias: KmsOperation = (input, caller, deps) => {
  const name = input.string("AliasName", { required: true, min: 1, max: 256 });
  const target = input.string("TargetKeyId", { required: true, min: 1, max: MAX_KEY_ID_LENGTH });
  if (!ALIAS_CHARACTERS.test(name)) {
    throw new AwsError(
      "ValidationException",
      `1 validation error detected: Value '${name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$`,
      400,
    );
  }
  if (!ALIAS_NAME.test(name)) throw new AwsError("InvalidAliasNameException", `Alias must start with the prefix "alias/" followed by a name: ${name}`, 400);
  if (name.startsWith("alias/aws/")) throw new AwsError("InvalidAliasNameException", `Alias names starting with "alias/aws/" are reserved for AWS managed keys: ${name}`, 400);
  if (target.startsWith("alias/") || target.includes(":alias/")) {
    throw new AwsError("ValidationException", `TargetKeyId must be a key id or key ARN, not an alias: ${target}`, 400);
  }
  const { key } = deps.store.resolve(target, caller.accountId);
  deps.authorize({ caller, key, action: "kms:CreateAlias" });
  if (key.accountId !== caller.accountId) {
    throw notFound(`Key '${key.arn}' does not exist in account ${caller.accountId}; an alias and its key share an account`);
  }
  if (deps.store.findAlias(caller.accountId, name) !== undefined) {
    throw new AwsError("AlreadyExistsException", `An alias with the name ${deps.store.aliasArn(caller.accountId, name)} already exists`, 409);
  }
  if (key.state === "PendingDeletion") throw new AwsError("KMSInvalidStateException", `${key.arn} is pending deletion.`, 409);
  deps.store.addAlias(caller.accountId, name, key.id);
  return ok({});
};

function aliasEntry(alias: KmsAlias): Record<string, unknown> {
  return {
    AliasName: alias.name,
    AliasArn: alias.arn,
    TargetKeyId: alias.keyId,
    CreationDate: epochSeconds(alias.creationDate),
    LastUpdatedDate: epochSeconds(alias.lastUpdatedDate),
  };
}

/** The marker is the name of the next alias: stable while aliases are added or removed between pages. */
const listAliases: KmsOperation = (input, caller, deps) => {
  const keyId = input.string("KeyId", { min: 1, max: MAX_KEY_ID_LENGTH });
  const limit = input.integer("Limit", 1, 100) ?? 50;
  const marker = input.string("Marker", { min: 1, max: 1024 });
  // ListAliases names no key (its resource is "*"): the caller's IAM policies decide, as for every
  // KMS call. With KeyId, KMS lists only the caller's own account's aliases of that key.
  deps.authorizeIdentity({ caller, action: "kms:ListAliases" });
  const keyFilter = keyId === undefined ? undefined : deps.store.resolve(keyId, caller.accountId).key.id;
  let aliases = deps.store.allAliases(caller.accountId).filter((a) => keyFilter === undefined || a.keyId === keyFilter);
  if (marker !== undefined) {
    const start = aliases.findIndex((a) => a.name === marker);
    if (start < 0) throw new AwsError("InvalidMarkerException", "Marker is not a NextMarker returned by a previous ListAliases call", 400);
    aliases = aliases.slice(start);
  }
  const page = aliases.slice(0, limit);
  const next = aliases[limit];
  return ok({ Aliases: page.map(aliasEntry), Truncated: next !== undefined, ...(next === undefined ? {} : { NextMarker: next.name }) });
};

export const ALIAS_OPERATIONS: Readonly<Record<string, KmsOperation>> = {
  CreateAlias: createAlias,
  ListAliases: listAliases,
};
