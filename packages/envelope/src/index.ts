export * from "./aead.js";
export * from "./context.js";
export * from "./data-key-cache.js";
export * from "./seal.js";
export * from "./open.js";
export { untilAborted, SHARED_KMS_CALL_TIMEOUT_MS } from "./shared-call.js";
