// Counts every STS and KMS command (and its failures, classified like the pipeline classifies them)
// with one middleware on each client, so no stage counts its own calls.
import type { KMSClient } from "@aws-sdk/client-kms";
import type { STSClient } from "@aws-sdk/client-sts";
import { classifyAwsError } from "../aws/classify-aws-error.js";
import type { AwsService, WorkerMetrics } from "./metrics.js";

// initialize: once per command, outside the SDK's retries.
const PLACE = { step: "initialize", name: "credvendMetrics", override: true } as const;

export function instrumentSts(client: STSClient, metrics: WorkerMetrics): void {
  client.middlewareStack.add((next, context) => (args) => counted("sts", context.commandName, metrics, () => next(args)), PLACE);
}

export function instrumentKms(client: KMSClient, metrics: WorkerMetrics): void {
  client.middlewareStack.add((next, context) => (args) => counted("kms", context.commandName, metrics, () => next(args)), PLACE);
}

async function counted<T>(service: AwsService, commandName: string | undefined, metrics: WorkerMetrics, call: () => Promise<T>): Promise<T> {
  const operation = (commandName ?? "unknown").replace(/Command$/, "");
  metrics.awsCall(service, operation);
  try {
    return await call();
  } catch (error) {
    metrics.awsError(service, operation, classifyAwsError(error, service, operation).reason);
    throw error;
  }
}
