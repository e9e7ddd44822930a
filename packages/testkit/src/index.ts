// @credvend/testkit: test-only harness (a dev dependency, never shipped). Finds the shared test
// NATS and Redis (environment, containers when an engine answers, else the launcher's binaries).
// The binary launcher itself is @credvend/launcher, re-exported so tests need one import.
export * from "@credvend/launcher";
export { natsUrl, redisUrl } from "./shared-servers.js";
export { containerRuntimeAvailable } from "./container-runtime.js";
export { uniqueName, uniqueRequestId } from "./names.js";
export { metricSum } from "./prometheus.js";
