// aws-local's KMS (TrentService): dispatches one awsJson1_1 operation to its handler. The core does
// HTTP, SigV4 and error rendering; every failure here is an AwsError.

import type { evaluatePolicies } from "../iam/evaluate.js";
import type { PrincipalDirectory } from "../iam/principal-directory.js";
import { AwsError, type CallerIdentity, type Clock, type JsonReply, type SeedKmsKey } from "../types.js";
import { ALIAS_OPERATIONS } from "./alias-operations.js";
import { createIdentityAuthorizer, createKmsAuthorizer } from "./authorize.js";
import { CRYPTO_OPERATIONS } from "./crypto-operations.js";
import { KmsInput } from "./input.js";
import { KEY_OPERATIONS } from "./key-operations.js";
import { KeyStore } from "./key-store.js";
import type { KmsOperation, OperationDeps } from "./operation.js";

export interface KmsServiceDeps {
  /** Seeded keys by account. */
  readonly keys: readonly { readonly accountId: string; readonly keys: readonly SeedKmsKey[] }[];
  readonly region: string;
  readonly clock: Clock;
  readonly evaluate: typeof evaluatePolicies;
  /** The seed's accounts, users and roles: what a key policy given to CreateKey may name. */
  readonly principals: PrincipalDirectory;
}

export interface KmsService {
  /** `operation` is the X-Amz-Target suffix after "TrentService."; `input` the parsed JSON body. */
  handle(operation: string, input: unknown, caller: CallerIdentity): Promise<JsonReply>;
  /** Back to the seeded keys and aliases (keys made by CreateKey are forgotten); call counts cleared. */
  reset(): void;
  /** Calls per operation since start or reset, failed ones included. */
  callCounts(): Record<string, number>;
}

const OPERATIONS: ReadonlyMap<string, KmsOperation> = new Map(
  Object.entries({ ...CRYPTO_OPERATIONS, ...KEY_OPERATIONS, ...ALIAS_OPERATIONS }),
);

/** The operations this KMS implements, for docs and the core's routing table. */
export const KMS_OPERATION_NAMES: readonly string[] = [...OPERATIONS.keys()].sort();

export function createKmsService(deps: KmsServiceDeps): KmsService {
  const store = new KeyStore(deps.region, deps.clock);
  const operationDeps: OperationDeps = {
    store,
    clock: deps.clock,
    authorize: createKmsAuthorizer(deps.evaluate),
    authorizeIdentity: createIdentityAuthorizer(deps.evaluate),
    principals: deps.principals,
  };
  const counts = new Map<string, number>();

  const seed = (): void => {
    store.clear();
    for (const account of deps.keys) for (const key of account.keys) store.addSeedKey(account.accountId, key);
  };
  // Validates the seed now, so a bad seed fails at start-up rather than on first use.
  seed();

  return {
    async handle(operation, input, caller) {
      const run = OPERATIONS.get(operation);
      if (run === undefined) {
        throw new AwsError("UnknownOperationException", `aws-local KMS does not implement ${operation}; supported: ${KMS_OPERATION_NAMES.join(", ")}`, 400);
      }
      counts.set(operation, (counts.get(operation) ?? 0) + 1);
      try {
        return run(KmsInput.parse(input, operation), caller, operationDeps);
      } catch (error) {
        if (error instanceof AwsError) throw error;
        // A bug, not a client error; our own messages never carry key material or plaintext.
        const detail = error instanceof Error ? `${error.name}: ${error.message}` : "non-Error thrown";
        throw new AwsError("KMSInternalException", `aws-local KMS ${operation} failed unexpectedly (${detail})`, 500);
      }
    },
    reset() {
      seed();
      counts.clear();
    },
    callCounts() {
      return Object.fromEntries(counts);
    },
  };
}
