// An in-process worker as most tests run one: silent, signing as aws-local's dev-seed vendor
// identity against the given aws-local endpoint.
import { devCredentials } from "@credvend/aws-local";
import { createLogger, runWorker, type RunningWorker, type RunOptions, type WorkerSettings } from "@credvend/worker";

export function runTestWorker(settings: WorkerSettings, awsEndpoint: string, options: Omit<RunOptions, "logger" | "awsCredentials" | "awsEndpoint"> = {}): Promise<RunningWorker> {
  return runWorker(settings, { logger: createLogger({ level: "silent" }), awsCredentials: devCredentials("credvend-vendor"), awsEndpoint, ...options });
}
