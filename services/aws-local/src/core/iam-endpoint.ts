// IAM over awsQuery (the same form encoding and XML shapes as STS), reached at "/" like STS: the
// server routes a request here when its SigV4 credential scope names the `iam` service. IAM is a
// global service signed for us-east-1 (aws-local serves the aws partition).
// Form -> Action -> authenticate -> region of the scope -> faults -> operation -> IAM's XML.
import { IAM_OPERATIONS, IAM_VERSION, type IamDeps } from "../iam-api/operations.js";
import { iamErrorXml, iamSuccessXml } from "../iam-api/xml.js";
import { QueryParams } from "../sts/query-params.js";
import { AwsError } from "../types.js";
import type { Reply } from "./http.js";
import type { IncomingCall, Runtime } from "./runtime.js";
import { formParams } from "./sts-endpoint.js";

const XML = "text/xml";
export const IAM_SIGNING_REGION = "us-east-1";

const SCOPE = /Credential=[^/\s,]+\/\d{8}\/([^/\s,]+)\/([^/\s,]+)\/aws4_request/;

/** The region and service a request's SigV4 credential scope names (header or presigned query). */
export function signingScope(headers: Readonly<Record<string, string>>, rawQuery: string): { region: string; service: string } | undefined {
  const auth = headers["authorization"];
  const fromQuery = new URLSearchParams(rawQuery).get("X-Amz-Credential");
  const m = SCOPE.exec(auth ?? (fromQuery === null ? "" : `Credential=${fromQuery}`));
  return m?.[1] === undefined || m[2] === undefined ? undefined : { region: m[1], service: m[2] };
}

export async function handleIam(rt: Runtime, deps: IamDeps, call: IncomingCall, requestId: string): Promise<Reply> {
  const query = new URLSearchParams(call.rawQuery);
  const params = formParams(call, query);
  const action = params.get("Action") ?? undefined;
  const known = action !== undefined && Object.hasOwn(IAM_OPERATIONS, action);
  const countKey = `iam:${known ? action : "(unknown)"}`;
  try {
    if (action === undefined || action === "") throw new AwsError("MissingAction", "Missing Action: pass Action=<operation> in the form body.", 400);
    const principal = rt.authenticate(call, query, "iam");
    const region = signingScope(call.headers, call.rawQuery)?.region;
    if (region !== IAM_SIGNING_REGION) {
      throw new AwsError("SignatureDoesNotMatch", `Credential should be scoped to a valid region, not '${(region ?? "").slice(0, 32)}'. IAM is signed for ${IAM_SIGNING_REGION}.`, 403);
    }
    const version = params.get("Version");
    if (version === null) throw new AwsError("MissingParameter", `The request must contain the parameter Version (${IAM_VERSION}).`, 400);
    const operation = known ? IAM_OPERATIONS[action] : undefined;
    if (operation === undefined || version !== IAM_VERSION) throw new AwsError("InvalidAction", `Could not find operation ${action} for version ${version}`, 400);
    await rt.faults.apply("iam", action);
    const resultXml = operation({ params: new QueryParams(params), principal }, deps);
    rt.counts.record(countKey, undefined);
    return { status: 200, contentType: XML, body: iamSuccessXml(action, resultXml, requestId) };
  } catch (err) {
    const error = asAwsError(err, rt);
    rt.counts.record(countKey, error.code);
    return iamError(error, requestId);
  }
}

export function iamError(error: AwsError, requestId: string): Reply {
  return { status: error.status, contentType: XML, body: iamErrorXml(error, requestId) };
}

function asAwsError(err: unknown, rt: Runtime): AwsError {
  if (err instanceof AwsError) return err;
  rt.log(`aws-local: internal error in IAM: ${err instanceof Error ? err.message : String(err)}`);
  return new AwsError("ServiceFailure", "The request processing has failed because of an unknown error, exception or failure.", 500);
}
