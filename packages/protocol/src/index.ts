export * from "./subjects.js";
export * from "./codes.js";
export * from "./errors.js";
export * from "./codec.js";
export { checkRequestShape, MAX_REQUEST_PARAM_ENTRIES, MAX_REQUEST_WIRE_FIELDS } from "./request-shape.js";
export * from "./redact.js";
export * from "./revocation.js";
export { FairShareLru, FairShares } from "./fair-share-lru.js";
