// Encrypt, Decrypt, GenerateDataKey(WithoutPlaintext) and ReEncrypt: validate, resolve the key,
// authorize against its key policy, check its state, then do real AES-256-GCM.

import { randomBytes } from "node:crypto";
import { AwsError, type CallerIdentity } from "../types.js";
import { CiphertextError, open, parseBlob, seal, type EncryptionContext, type ParsedBlob } from "./ciphertext.js";
import type { KmsInput } from "./input.js";
import type { KmsKey } from "./key-store.js";
import {
  dryRunStop,
  ENCRYPTION_ALGORITHMS,
  MAX_CIPHERTEXT_BYTES,
  readGrantTokens,
  MAX_KEY_ID_LENGTH,
  ok,
  refuseRecipient,
  requireEnabled,
  requireSymmetric,
  SYMMETRIC_DEFAULT,
  type KmsOperation,
  type OperationDeps,
} from "./operation.js";

const MAX_PLAINTEXT_BYTES = 4096;
const DATA_KEY_SPECS = { AES_256: 32, AES_128: 16 } as const;

function invalidCiphertext(): AwsError {
  // No detail on purpose: which check failed would help an attacker, and a mismatched encryption
  // context is by far the most common cause.
  return new AwsError(
    "InvalidCiphertextException",
    "The ciphertext is invalid or was not produced by this KMS, or the encryption context does not exactly match the one used to encrypt it",
    400,
  );
}

/** Finds the key a blob names and checks it against an optional KeyId from the request. */
function keyForBlob(blob: Buffer, requestedKeyId: string | undefined, caller: CallerIdentity, deps: OperationDeps): { parsed: ParsedBlob; key: KmsKey; alias?: string } {
  let parsed: ParsedBlob;
  try {
    parsed = parseBlob(blob);
  } catch (error) {
    if (error instanceof CiphertextError) throw invalidCiphertext();
    throw error;
  }
  const key = deps.store.findKey(parsed.keyId);
  if (key === undefined) throw invalidCiphertext();
  if (requestedKeyId === undefined) return { parsed, key };
  const requested = deps.store.resolve(requestedKeyId, caller.accountId);
  if (requested.key.id !== key.id) {
    throw new AwsError("IncorrectKeyException", `The ciphertext was encrypted under a different key than ${requested.key.arn}; omit KeyId or give the key that encrypted it`, 400);
  }
  return requested.alias === undefined ? { parsed, key } : { parsed, key, alias: requested.alias };
}

function openBlob(parsed: ParsedBlob, key: KmsKey, context: EncryptionContext): Buffer {
  try {
    return open(parsed, key.material, context);
  } catch (error) {
    if (error instanceof CiphertextError) throw invalidCiphertext();
    throw error;
  }
}

function common(input: KmsInput): void {
  readGrantTokens(input);
}

const encrypt: KmsOperation = (input, caller, deps) => {
  const keyId = input.string("KeyId", { required: true, min: 1, max: MAX_KEY_ID_LENGTH });
  const plaintext = input.blob("Plaintext", { required: true, min: 1, max: MAX_PLAINTEXT_BYTES });
  const context = input.context("EncryptionContext");
  const algorithm = input.enumOf("EncryptionAlgorithm", ENCRYPTION_ALGORITHMS);
  const dryRun = input.boolean("DryRun");
  common(input);
  const { key, alias } = deps.store.resolve(keyId, caller.accountId);
  deps.authorize({ caller, key, action: "kms:Encrypt", encryptionContext: context, ...(alias === undefined ? {} : { alias }) });
  requireEnabled(key);
  requireSymmetric(key, algorithm);
  dryRunStop(dryRun);
  const blob = seal(key.id, key.material, plaintext, context);
  return ok({ CiphertextBlob: blob.toString("base64"), KeyId: key.arn, EncryptionAlgorithm: SYMMETRIC_DEFAULT });
};

const decrypt: KmsOperation = (input, caller, deps) => {
  refuseRecipient(input);
  const blob = input.blob("CiphertextBlob", { required: true, min: 1, max: MAX_CIPHERTEXT_BYTES });
  const context = input.context("EncryptionContext");
  const keyId = input.string("KeyId", { min: 1, max: MAX_KEY_ID_LENGTH });
  const algorithm = input.enumOf("EncryptionAlgorithm", ENCRYPTION_ALGORITHMS);
  const dryRun = input.boolean("DryRun");
  common(input);
  const { parsed, key, alias } = keyForBlob(blob, keyId, caller, deps);
  deps.authorize({ caller, key, action: "kms:Decrypt", encryptionContext: context, viaCiphertext: true, ...(alias === undefined ? {} : { alias }) });
  requireEnabled(key);
  requireSymmetric(key, algorithm);
  dryRunStop(dryRun);
  const plaintext = openBlob(parsed, key, context);
  return ok({ KeyId: key.arn, Plaintext: plaintext.toString("base64"), EncryptionAlgorithm: SYMMETRIC_DEFAULT, KeyMaterialId: key.materialId });
};

/** Shared by GenerateDataKey and GenerateDataKeyWithoutPlaintext. */
function generateDataKey(input: KmsInput, caller: CallerIdentity, deps: OperationDeps, action: string): { key: KmsKey; plaintext: Buffer; blob: Buffer } {
  const keyId = input.string("KeyId", { required: true, min: 1, max: MAX_KEY_ID_LENGTH });
  const context = input.context("EncryptionContext");
  const keySpec = input.enumOf("KeySpec", ["AES_256", "AES_128"] as const);
  const numberOfBytes = input.integer("NumberOfBytes", 1, 1024);
  const dryRun = input.boolean("DryRun");
  common(input);
  if ((keySpec === undefined) === (numberOfBytes === undefined)) {
    throw new AwsError("ValidationException", "Specify exactly one of KeySpec (AES_256 or AES_128) or NumberOfBytes (1-1024)", 400);
  }
  const { key, alias } = deps.store.resolve(keyId, caller.accountId);
  deps.authorize({ caller, key, action, encryptionContext: context, ...(alias === undefined ? {} : { alias }) });
  requireEnabled(key);
  dryRunStop(dryRun);
  const plaintext = randomBytes(keySpec === undefined ? (numberOfBytes ?? 32) : DATA_KEY_SPECS[keySpec]);
  return { key, plaintext, blob: seal(key.id, key.material, plaintext, context) };
}

const generateDataKeyWithPlaintext: KmsOperation = (input, caller, deps) => {
  refuseRecipient(input);
  const { key, plaintext, blob } = generateDataKey(input, caller, deps, "kms:GenerateDataKey");
  return ok({ CiphertextBlob: blob.toString("base64"), Plaintext: plaintext.toString("base64"), KeyId: key.arn, KeyMaterialId: key.materialId });
};

const generateDataKeyWithoutPlaintext: KmsOperation = (input, caller, deps) => {
  const { key, plaintext, blob } = generateDataKey(input, caller, deps, "kms:GenerateDataKeyWithoutPlaintext");
  plaintext.fill(0);
  return ok({ CiphertextBlob: blob.toString("base64"), KeyId: key.arn, KeyMaterialId: key.materialId });
};

const reEncrypt: KmsOperation = (input, caller, deps) => {
  const blob = input.blob("CiphertextBlob", { required: true, min: 1, max: MAX_CIPHERTEXT_BYTES });
  const sourceContext = input.context("SourceEncryptionContext");
  const sourceKeyId = input.string("SourceKeyId", { min: 1, max: MAX_KEY_ID_LENGTH });
  const destinationKeyId = input.string("DestinationKeyId", { required: true, min: 1, max: MAX_KEY_ID_LENGTH });
  const destinationContext = input.context("DestinationEncryptionContext");
  const sourceAlgorithm = input.enumOf("SourceEncryptionAlgorithm", ENCRYPTION_ALGORITHMS);
  const destinationAlgorithm = input.enumOf("DestinationEncryptionAlgorithm", ENCRYPTION_ALGORITHMS);
  const dryRun = input.boolean("DryRun");
  common(input);
  const source = keyForBlob(blob, sourceKeyId, caller, deps);
  const destination = deps.store.resolve(destinationKeyId, caller.accountId);
  deps.authorize({
    caller,
    key: source.key,
    action: "kms:ReEncryptFrom",
    encryptionContext: sourceContext,
    viaCiphertext: true,
    ...(source.alias === undefined ? {} : { alias: source.alias }),
  });
  deps.authorize({
    caller,
    key: destination.key,
    action: "kms:ReEncryptTo",
    encryptionContext: destinationContext,
    ...(destination.alias === undefined ? {} : { alias: destination.alias }),
  });
  requireEnabled(source.key);
  requireEnabled(destination.key);
  requireSymmetric(source.key, sourceAlgorithm);
  requireSymmetric(destination.key, destinationAlgorithm);
  dryRunStop(dryRun);
  const plaintext = openBlob(source.parsed, source.key, sourceContext);
  const sealed = seal(destination.key.id, destination.key.material, plaintext, destinationContext);
  plaintext.fill(0);
  return ok({
    CiphertextBlob: sealed.toString("base64"),
    SourceKeyId: source.key.arn,
    KeyId: destination.key.arn,
    SourceEncryptionAlgorithm: SYMMETRIC_DEFAULT,
    DestinationEncryptionAlgorithm: SYMMETRIC_DEFAULT,
    SourceKeyMaterialId: source.key.materialId,
    DestinationKeyMaterialId: destination.key.materialId,
  });
};

export const CRYPTO_OPERATIONS: Readonly<Record<string, KmsOperation>> = {
  Encrypt: encrypt,
  Decrypt: decrypt,
  GenerateDataKey: generateDataKeyWithPlaintext,
  GenerateDataKeyWithoutPlaintext: generateDataKeyWithoutPlaintext,
  ReEncrypt: reEncrypt,
};
