import { loadConfigFile, trustPolicyFor } from "@credvend/policy";
import { formatProblems } from "@credvend/vendor";
import { parse, UsageError } from "../args.js";

export const IAM_USAGE = `usage: credvend iam trust-policy --config FILE --template T --vendor-arn ARN

Prints the trust policy the template's role needs so the vendor (ARN) can assume it with exactly
what credvend sends: sts:AssumeRole, sts:TagSession, sts:SetSourceIdentity, and the template's
external id and MFA conditions.`;

export async function iamCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "trust-policy") throw new UsageError(IAM_USAGE);
  const { values } = parse(rest, { config: { type: "string" }, template: { type: "string" }, "vendor-arn": { type: "string" } }, IAM_USAGE);
  if (!values.config || !values.template || !values["vendor-arn"]) throw new UsageError(IAM_USAGE);
  const result = loadConfigFile(values.config);
  if (!result.ok) {
    out(formatProblems(result.problems));
    return 1;
  }
  try {
    out(JSON.stringify(trustPolicyFor(result.config, values.template, { vendorPrincipalArn: values["vendor-arn"] }), null, 2));
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
  return 0;
}
