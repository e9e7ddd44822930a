import type { UnsignedStsOperation } from "./web-identity.js";
import { AwsError } from "../types.js";
export const assumeRoleWithSaml: UnsignedStsOperation = async () => {
  throw new AwsError("InvalidAction", "not yet", 400);
};
