import { trustPolicyFor } from "@credvend/policy";
import { parse, UsageError } from "../args.js";
import { requesterEnv } from "../cli-env.js";
import { loadConfig } from "../problems.js";

export const IAM_USAGE = `usage: credvend iam trust-policy --template T --vendor-arn ARN [--config FILE]

Prints the trust policy the template's role needs so the vendor (ARN) can assume it with exactly
what credvend sends: sts:AssumeRole, sts:TagSession, sts:SetSourceIdentity, and the template's
external id and MFA conditions. --config defaults to $CREDVEND_CONFIG.`;

export async function iamCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "trust-policy") throw new UsageError(sub ? `unknown subcommand '${sub}'; use trust-policy` : "iam needs a subcommand: trust-policy");
  const { values } = parse(rest, { config: { type: "string" }, template: { type: "string" }, "vendor-arn": { type: "string" } });
  const file = values.config ?? requesterEnv().configFile;
  if (!file || !values.template || !values["vendor-arn"]) throw new UsageError("--template, --vendor-arn and --config (or CREDVEND_CONFIG) are required");
  const { config } = loadConfig(file, values.config ? "--config" : "CREDVEND_CONFIG");
  try {
    out(JSON.stringify(trustPolicyFor(config, values.template, { vendorPrincipalArn: values["vendor-arn"] }), null, 2));
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
  return 0;
}
