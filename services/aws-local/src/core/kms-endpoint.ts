// KMS over awsJson1_1: X-Amz-Target: TrentService.<Op> -> authenticate -> faults -> KmsService,
// answered as JSON, errors as {"__type", "message"}.
import { KMS_OPERATION_NAMES } from "../kms/service.js";
import { AwsError } from "../types.js";
import type { Reply } from "./http.js";
import type { IncomingCall, Runtime } from "./runtime.js";

const JSON_11 = "application/x-amz-json-1.1";
const TARGET_PREFIX = "TrentService.";
const KNOWN_OPERATIONS: ReadonlySet<string> = new Set(KMS_OPERATION_NAMES);

export async function handleKms(rt: Runtime, call: IncomingCall): Promise<Reply> {
  const target = call.headers["x-amz-target"] ?? "";
  const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
  // Known operations only: a caller-chosen target name must not create a counts entry (unbounded memory).
  const countKey = `kms:${operation !== undefined && KNOWN_OPERATIONS.has(operation) ? operation : "(unknown)"}`;
  try {
    if (operation === undefined || operation === "") {
      throw new AwsError("UnknownOperationException", `Unknown X-Amz-Target; KMS targets look like ${TARGET_PREFIX}Encrypt.`, 400);
    }
    const principal = rt.authenticate(call, new URLSearchParams(call.rawQuery), "kms");
    const input = parseJsonBody(call.body);
    await rt.faults.apply("kms", operation);
    const reply = await rt.kms.handle(operation, input, principal.identity);
    rt.counts.record(countKey, undefined);
    return { status: reply.status, contentType: JSON_11, body: JSON.stringify(reply.body ?? {}) };
  } catch (err) {
    const error = asAwsError(err, rt);
    rt.counts.record(countKey, error.code);
    return kmsError(error);
  }
}

export function kmsError(error: AwsError): Reply {
  return {
    status: error.status,
    contentType: JSON_11,
    body: JSON.stringify({ __type: error.code, message: error.message }),
    headers: { "x-amzn-errortype": error.code },
  };
}

function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw new AwsError("SerializationException", "The request body is not valid JSON.", 400);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AwsError("SerializationException", "The request body must be a JSON object.", 400);
  }
  return value;
}

function asAwsError(err: unknown, rt: Runtime): AwsError {
  if (err instanceof AwsError) return err;
  rt.log(`aws-local: internal error in KMS: ${err instanceof Error ? err.message : String(err)}`);
  return new AwsError("KMSInternalException", "aws-local KMS failed unexpectedly.", 500);
}
