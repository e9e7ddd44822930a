// @credvend/aws-local: a LOCAL EMULATOR of AWS STS, KMS and IAM (role policies) that speaks the real wire protocols, for
// development, tests and benchmarks. Not AWS; never point production credentials at it.
export { startAwsLocal, DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_HOST, DEFAULT_REGION } from "./server.js";
export type { AwsLocal, AwsLocalOptions } from "./server.js";
export { createAdminClient, AdminRequestError } from "./admin/client.js";
export { ADMIN_TOKEN_HEADER } from "./admin/guard.js";
export type { AdminClient, ClockState } from "./admin/client.js";
export { validateFaultConfig } from "./core/faults.js";
export type { FaultConfig, FaultState, ErrorRule, ThrottleRule } from "./core/faults.js";
export type { OperationCounts } from "./core/call-counts.js";
export type { SessionView, SessionKind } from "./core/sessions.js";
export {
  DEV_SEED,
  DEV_ACCOUNT_ID,
  DEV_REPLY_KEY_ID,
  DEV_REPLY_KEY_ALIAS,
  DEV_DEMO_DATA_KEY_ID,
  DEV_DEMO_DATA_KEY_ALIAS,
  DEV_EXTERNAL_ID,
  DEV_TENANT_BOUND_TENANT,
  DEV_MFA_SERIAL,
  DEV_MFA_TOTP_SECRET,
  DEV_USER_NAMES,
  devCredentials,
  devEnvExports,
} from "./dev-seed.js";
export type { DevUserName } from "./dev-seed.js";
export { loadSeedFile, validateSeed, SeedError } from "./seed/load.js";
export type { Seed, SeedInput } from "./seed/schema.js";
export { totp } from "./totp.js";
// For tools that talk to aws-local without an SDK (the benchmark's pre-signed replays).
export { signHeaders } from "./sigv4.js";
export { packedPolicySizePercent, PACKED_BUDGET_BYTES } from "./sts/packed-size.js";
export { AwsError } from "./types.js";
export type { CallerIdentity, Clock, PolicyDocument, PolicyStatement, SeedKmsKey } from "./types.js";
