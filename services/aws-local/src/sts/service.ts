// The STS operation table. Signed operations get an authenticated Principal; the unsigned ones
// (AssumeRoleWithWebIdentity / AssumeRoleWithSAML) are routed before authentication: the SDK sends
// them with no signature at all, and their caller is proven by the token or assertion instead.
import { AwsError } from "../types.js";
import { assumeRole } from "./assume-role.js";
import type { StsOperation } from "./common.js";
import { assumeRoleWithSaml } from "./saml.js";
import { getCallerIdentity, getFederationToken, getSessionToken } from "./session-token.js";
import { assumeRoleWithWebIdentity, type UnsignedStsOperation } from "./web-identity.js";

export const STS_VERSION = "2011-06-15";

export const STS_SIGNED_OPERATIONS: Readonly<Record<string, StsOperation>> = {
  AssumeRole: assumeRole,
  GetSessionToken: getSessionToken,
  GetFederationToken: getFederationToken,
  GetCallerIdentity: getCallerIdentity,
};

/** Operations the SDK sends without a signature (fact sheet 2.4). */
export const STS_UNSIGNED_OPERATIONS: Readonly<Record<string, UnsignedStsOperation>> = {
  AssumeRoleWithWebIdentity: assumeRoleWithWebIdentity,
  AssumeRoleWithSAML: assumeRoleWithSaml,
};

export function unknownStsAction(action: string, version: string): AwsError {
  return new AwsError("InvalidAction", `Could not find operation ${action} for version ${version}`, 400);
}
