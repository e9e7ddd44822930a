// STS over awsQuery: form body (or query string) -> Action -> authenticate -> faults -> operation,
// answered in STS's XML, errors included.
import { AwsError } from "../types.js";
import { QueryParams } from "../sts/query-params.js";
import {
  STS_SIGNED_OPERATIONS,
  STS_UNSIGNED_OPERATIONS,
  STS_VERSION,
  unknownStsAction,
} from "../sts/service.js";
import { stsErrorXml, stsSuccessXml } from "../sts/xml.js";
import type { Reply } from "./http.js";
import type { IncomingCall, Runtime } from "./runtime.js";

const XML = "text/xml";

export async function handleSts(rt: Runtime, call: IncomingCall, requestId: string): Promise<Reply> {
  const query = new URLSearchParams(call.rawQuery);
  const params = formParams(call, query);
  const action = params.get("Action") ?? undefined;
  // Count under the operation name when it is a known one, so failures of an operation show up
  // with it. Anything else shares one bucket: keying by the caller's string let unauthenticated
  // requests (Action=Junk1, Junk2, …) grow the counts map without bound.
  const known = action !== undefined && (Object.hasOwn(STS_SIGNED_OPERATIONS, action) || Object.hasOwn(STS_UNSIGNED_OPERATIONS, action));
  const countKey = `sts:${known ? action : "(unknown)"}`;
  try {
    if (action === undefined || action === "") throw new AwsError("MissingAction", "Missing Action: pass Action=<operation> in the form body.", 400);
    const unsigned = Object.hasOwn(STS_UNSIGNED_OPERATIONS, action) ? STS_UNSIGNED_OPERATIONS[action] : undefined;
    if (unsigned !== undefined) {
      // No authentication: AWS ignores a signature on these calls, and the SDK sends none.
      const version = params.get("Version");
      if (version === null) throw missingVersion();
      if (version !== STS_VERSION) throw unknownStsAction(action, version);
      await rt.faults.apply("sts", action);
      const resultXml = await unsigned(new QueryParams(params), rt.sts);
      rt.counts.record(countKey, undefined);
      return { status: 200, contentType: XML, body: stsSuccessXml(action, resultXml, requestId) };
    }
    const principal = rt.authenticate(call, query, "sts");
    const version = params.get("Version");
    if (version === null) throw missingVersion();
    // Own properties only: Action=toString must not find Object.prototype.toString (it answered 200).
    const operation = Object.hasOwn(STS_SIGNED_OPERATIONS, action) ? STS_SIGNED_OPERATIONS[action] : undefined;
    if (operation === undefined || version !== STS_VERSION) throw unknownStsAction(action, version);
    await rt.faults.apply("sts", action);
    const resultXml = operation({ params: new QueryParams(params), principal }, rt.sts);
    rt.counts.record(countKey, undefined);
    return { status: 200, contentType: XML, body: stsSuccessXml(action, resultXml, requestId) };
  } catch (err) {
    const error = asAwsError(err, rt);
    rt.counts.record(countKey, error.code);
    return stsError(error, requestId);
  }
}

function missingVersion(): AwsError {
  return new AwsError("MissingParameter", "The request must contain the parameter Version (2011-06-15).", 400);
}

export function stsError(error: AwsError, requestId: string): Reply {
  return { status: error.status, contentType: XML, body: stsErrorXml(error, requestId) };
}

/** Form parameters from the body (POST) merged over the query string (GET, or both), as AWS does. */
export function formParams(call: IncomingCall, query: URLSearchParams): URLSearchParams {
  if (call.body.length === 0) return query;
  const params = new URLSearchParams(call.body.toString("utf8"));
  for (const [k, v] of query) {
    if (!k.startsWith("X-Amz-") && !params.has(k)) params.append(k, v);
  }
  return params;
}

function asAwsError(err: unknown, rt: Runtime): AwsError {
  if (err instanceof AwsError) return err;
  rt.log(`aws-local: internal error in STS: ${err instanceof Error ? err.message : String(err)}`);
  return new AwsError("InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", 500);
}
