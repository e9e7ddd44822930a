export * from "./subjects.js";
export * from "./codes.js";
export * from "./errors.js";
export * from "./codec.js";
export * from "./redact.js";
export * from "./revocation.js";
