// CreateKey, DescribeKey, EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion.
// aws-local keys are symmetric AWS_KMS keys only; other specs are refused with UnsupportedOperation.

import { randomUUID } from "node:crypto";
import { AwsError } from "../types.js";
import type { KmsInput } from "./input.js";
import { randomKeyMaterial } from "./key-material.js";
import { checkLockoutSafety, KEY_POLICY_MAX_CHARS, parseKeyPolicy } from "./key-policy.js";
import { defaultKeyPolicy, type KeyStore, type KmsKey } from "./key-store.js";
import { dryRunStop, epochSeconds, MAX_KEY_ID_LENGTH, ok, readGrantTokens, SYMMETRIC_DEFAULT, type KmsOperation } from "./operation.js";

const DAY_MS = 86_400_000;
const KEY_USAGES = ["SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"] as const;
const KEY_SPECS = [
  "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
  "SYMMETRIC_DEFAULT", "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SM2", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87",
  "ECC_NIST_EDWARDS25519",
] as const;
const ORIGINS = ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"] as const;

function unsupported(what: string): AwsError {
  return new AwsError("UnsupportedOperationException", `aws-local supports only symmetric AWS_KMS keys in one Region: ${what}`, 400);
}

export function keyMetadata(key: KmsKey, store: KeyStore): Record<string, unknown> {
  return {
    AWSAccountId: key.accountId,
    KeyId: key.id,
    Arn: key.arn,
    CreationDate: epochSeconds(key.creationDate),
    Enabled: key.state === "Enabled",
    Description: key.description,
    KeyUsage: "ENCRYPT_DECRYPT",
    KeyState: key.state,
    ...(key.deletionDate === undefined ? {} : { DeletionDate: epochSeconds(key.deletionDate), PendingDeletionWindowInDays: key.pendingWindowDays }),
    Origin: "AWS_KMS",
    KeyManager: "CUSTOMER",
    CustomerMasterKeySpec: SYMMETRIC_DEFAULT,
    KeySpec: SYMMETRIC_DEFAULT,
    EncryptionAlgorithms: [SYMMETRIC_DEFAULT],
    MultiRegion: false,
    CurrentKeyMaterialId: key.materialId,
  };
}

const createKey: KmsOperation = (input, caller, deps) => {
  const policyText = input.string("Policy", { min: 1, max: KEY_POLICY_MAX_CHARS });
  const description = input.string("Description", { max: 8192 }) ?? "";
  const usage = input.enumOf("KeyUsage", KEY_USAGES);
  const spec = input.enumOf("KeySpec", KEY_SPECS);
  const legacySpec = input.enumOf("CustomerMasterKeySpec", KEY_SPECS);
  const origin = input.enumOf("Origin", ORIGINS);
  const tags = input.tags("Tags");
  const bypassLockoutCheck = input.boolean("BypassPolicyLockoutSafetyCheck") === true;
  if (spec !== undefined && legacySpec !== undefined) {
    throw new AwsError("ValidationException", "Give KeySpec or the deprecated CustomerMasterKeySpec, not both", 400);
  }
  if (usage !== undefined && usage !== "ENCRYPT_DECRYPT") throw unsupported(`KeyUsage ${usage}`);
  if ((spec ?? legacySpec ?? SYMMETRIC_DEFAULT) !== SYMMETRIC_DEFAULT) throw unsupported(`KeySpec ${spec ?? legacySpec}`);
  if (origin !== undefined && origin !== "AWS_KMS") throw unsupported(`Origin ${origin}`);
  if (input.boolean("MultiRegion") === true) throw unsupported("MultiRegion keys");
  if (input.has("CustomKeyStoreId") || input.has("XksKeyId")) throw unsupported("custom key stores");
  // CreateKey has no key yet: only the caller's IAM policies can allow it.
  deps.authorizeIdentity({ caller, action: "kms:CreateKey" });
  const policy = policyText === undefined ? defaultKeyPolicy(caller.accountId) : parseKeyPolicy(policyText, deps.principals);
  const id = randomUUID();
  if (policyText !== undefined && !bypassLockoutCheck) {
    // Checked on the key as it would be, before anything is stored.
    const arn = deps.store.keyArn(caller.accountId, id);
    const candidate: KmsKey = { accountId: caller.accountId, id, arn, material: Buffer.alloc(0), materialId: "", description, policy, creationDate: 0, tags, state: "Enabled" };
    checkLockoutSafety(deps.authorize, caller, candidate);
  }
  const key = deps.store.addKey({ accountId: caller.accountId, id, material: randomKeyMaterial(), description, policy, tags, enabled: true });
  return ok({ KeyMetadata: keyMetadata(key, deps.store) });
};

function keyArgument(input: KmsInput): string {
  return input.string("KeyId", { required: true, min: 1, max: MAX_KEY_ID_LENGTH });
}

const describeKey: KmsOperation = (input, caller, deps) => {
  const keyId = keyArgument(input);
  readGrantTokens(input);
  const { key, alias } = deps.store.resolve(keyId, caller.accountId);
  deps.authorize({ caller, key, action: "kms:DescribeKey", ...(alias === undefined ? {} : { alias }) });
  return ok({ KeyMetadata: keyMetadata(key, deps.store) });
};

function notPendingDeletion(key: KmsKey): void {
  if (key.state === "PendingDeletion") {
    throw new AwsError("KMSInvalidStateException", `${key.arn} is pending deletion; CancelKeyDeletion first`, 409);
  }
}

/** EnableKey / DisableKey take a key id or key ARN (no aliases), like KMS. */
const setEnabled =
  (enabled: boolean): KmsOperation =>
  (input, caller, deps) => {
    const keyId = keyArgument(input);
    const { key } = deps.store.resolve(keyId, caller.accountId);
    deps.authorize({ caller, key, action: enabled ? "kms:EnableKey" : "kms:DisableKey" });
    notPendingDeletion(key);
    key.state = enabled ? "Enabled" : "Disabled";
    return ok({});
  };

const scheduleKeyDeletion: KmsOperation = (input, caller, deps) => {
  const keyId = keyArgument(input);
  // The model allows 1-365, but KMS documents and enforces 7-30.
  const days = input.integer("PendingWindowInDays", 7, 30) ?? 30;
  const dryRun = input.boolean("DryRun");
  const { key } = deps.store.resolve(keyId, caller.accountId);
  deps.authorize({ caller, key, action: "kms:ScheduleKeyDeletion" });
  notPendingDeletion(key);
  dryRunStop(dryRun);
  key.state = "PendingDeletion";
  key.deletionDate = deps.clock.now() + days * DAY_MS;
  key.pendingWindowDays = days;
  return ok({ KeyId: key.arn, DeletionDate: epochSeconds(key.deletionDate), KeyState: key.state, PendingWindowInDays: days });
};

const cancelKeyDeletion: KmsOperation = (input, caller, deps) => {
  const { key } = deps.store.resolve(keyArgument(input), caller.accountId);
  deps.authorize({ caller, key, action: "kms:CancelKeyDeletion" });
  if (key.state !== "PendingDeletion") throw new AwsError("KMSInvalidStateException", `${key.arn} is not pending deletion`, 409);
  // KMS leaves a key whose deletion was cancelled Disabled.
  key.state = "Disabled";
  delete key.deletionDate;
  delete key.pendingWindowDays;
  return ok({ KeyId: key.arn });
};

export const KEY_OPERATIONS: Readonly<Record<string, KmsOperation>> = {
  CreateKey: createKey,
  DescribeKey: describeKey,
  EnableKey: setEnabled(true),
  DisableKey: setEnabled(false),
  ScheduleKeyDeletion: scheduleKeyDeletion,
  CancelKeyDeletion: cancelKeyDeletion,
};
