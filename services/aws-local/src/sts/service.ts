// The STS operation table. Signed operations get an authenticated Principal; the unsigned ones
// (AssumeRoleWithWebIdentity / AssumeRoleWithSAML) are routed before authentication and are not
// implemented yet (roadmap item 4): they answer a clear error instead of a signature failure.
import { AwsError } from "../types.js";
import { assumeRole } from "./assume-role.js";
import type { StsOperation } from "./common.js";
import { getCallerIdentity, getFederationToken, getSessionToken } from "./session-token.js";

export const STS_VERSION = "2011-06-15";

export const STS_SIGNED_OPERATIONS: Readonly<Record<string, StsOperation>> = {
  AssumeRole: assumeRole,
  GetSessionToken: getSessionToken,
  GetFederationToken: getFederationToken,
  GetCallerIdentity: getCallerIdentity,
};

/** Operations the SDK sends without a signature (fact sheet 2.4). */
export const STS_UNSIGNED_OPERATIONS: ReadonlySet<string> = new Set(["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"]);

export function unsignedOperationNotImplemented(action: string): AwsError {
  return new AwsError("InvalidAction", `aws-local does not implement ${action} yet; use AssumeRole for now.`, 400);
}

export function unknownStsAction(action: string, version: string): AwsError {
  return new AwsError("InvalidAction", `Could not find operation ${action} for version ${version}`, 400);
}
