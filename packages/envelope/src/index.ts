export * from "./aead.js";
export * from "./binding.js";
export * from "./context.js";
export * from "./data-key-cache.js";
export * from "./seal.js";
export * from "./open.js";
export * from "./single-flight-cache.js";
export * from "./aws-failure.js";
export { untilAborted, SHARED_KMS_CALL_TIMEOUT_MS } from "./shared-call.js";
