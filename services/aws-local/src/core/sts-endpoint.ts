// STS over awsQuery: form body (or query string) -> Action -> authenticate -> faults -> operation,
// answered in STS's XML, errors included.
import { AwsError } from "../types.js";
import { QueryParams } from "../sts/query-params.js";
import {
  STS_SIGNED_OPERATIONS,
  STS_UNSIGNED_OPERATIONS,
  STS_VERSION,
  unknownStsAction,
  unsignedOperationNotImplemented,
} from "../sts/service.js";
import { stsErrorXml, stsSuccessXml } from "../sts/xml.js";
import type { Reply } from "./http.js";
import type { IncomingCall, Runtime } from "./runtime.js";

const XML = "text/xml";

export async function handleSts(rt: Runtime, call: IncomingCall, requestId: string): Promise<Reply> {
  const query = new URLSearchParams(call.rawQuery);
  const params = formParams(call, query);
  const action = params.get("Action") ?? undefined;
  // Count under the operation name when there is one, so failures of an operation show up with it.
  const countKey = `sts:${action !== undefined && /^\w{1,64}$/.test(action) ? action : "(none)"}`;
  try {
    if (action === undefined || action === "") throw new AwsError("MissingAction", "Missing Action: pass Action=<operation> in the form body.", 400);
    if (STS_UNSIGNED_OPERATIONS.has(action)) throw unsignedOperationNotImplemented(action);
    const principal = rt.authenticate(call, query, "sts");
    const version = params.get("Version");
    if (version === null) throw new AwsError("MissingParameter", "The request must contain the parameter Version (2011-06-15).", 400);
    const operation = STS_SIGNED_OPERATIONS[action];
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

export function stsError(error: AwsError, requestId: string): Reply {
  return { status: error.status, contentType: XML, body: stsErrorXml(error, requestId) };
}

/** Form parameters from the body (POST) merged over the query string (GET, or both), as AWS does. */
function formParams(call: IncomingCall, query: URLSearchParams): URLSearchParams {
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
