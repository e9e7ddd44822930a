export { settingsFromEnv, SettingsError, DEFAULT_SETTINGS, SETTING_NAMES, type WorkerSettings } from "./settings.js";
export { createLogger, REDACT_PATHS, type Logger } from "./logger.js";
export { startWorker, WORKER_SERVICE_NAME, VENDOR_VERSION, type Worker, type WorkerDeps, type WorkerStats } from "./worker.js";
export { runWorker, redactUrl, WorkerStartError, type RunningWorker, type RunOptions } from "./run.js";
export { ConfigHolder, ConfigRefusedError, formatProblems, type ConfigStatus } from "./config-holder.js";
export { CONFIG_KV_BUCKET, CONFIG_KV_KEY, openConfigBucket, isMissingBucket, MissingKvConfigError } from "./kv-config.js";
export { classifyAwsError } from "./aws/classify-aws-error.js";
export { buildPipeline } from "./build-pipeline.js";
