import { encryptionContextFor } from "@credvend/envelope";
import { credentialSourcePolicyFor, credentialSources, didYouMean, requesterPolicyFor, trustPolicyFor, workerPolicyFor } from "@credvend/policy";
import { parse, UsageError } from "../args.js";
import { requesterEnv } from "../cli-env.js";
import { loadConfig } from "../problems.js";

export const IAM_USAGE = `usage: credvend iam trust-policy --template T --vendor-arn ARN [--config FILE]
       credvend iam worker-policy [FILE] [--reply-key-arn ARN] [--credential-source PROFILE]
       credvend iam requester-policy [--reply-key-arn ARN] [--tenant T] [--principal P]

Prints IAM policy documents (JSON, for aws iam put-role-policy / put-user-policy / create-policy).

trust-policy       the trust policy a template's role needs so the vendor (ARN) can assume it with
                   exactly what credvend sends: sts:AssumeRole, sts:TagSession, sts:SetSourceIdentity,
                   and the template's external id and MFA conditions. --config defaults to $CREDVEND_CONFIG.
worker-policy      the identity policy of the worker's own AWS identity for the config FILE (default
                   $CREDVEND_CONFIG): sts:AssumeRole and sts:TagSession on exactly the assume_role
                   templates' roles, sts:SetSourceIdentity on those that send one, kms:GenerateDataKey
                   and kms:DescribeKey on the reply key. web_identity and saml calls are unsigned and
                   need none. With --credential-source PROFILE: instead, the policy of the IAM user
                   behind that profile (session_token and federation_token templates sign with it).
                   credvend revoke's iam:GetRole/GetRolePolicy/PutRolePolicy belong to the operator
                   who runs it, never to the worker.
requester-policy   what a requester's AWS identity needs to open its replies: kms:Decrypt on the reply
                   key, only for data keys whose encryption context names it. --tenant and --principal
                   take a name or an IAM policy variable; the defaults, \${aws:PrincipalTag/credvend:tenant}
                   and \${aws:PrincipalTag/credvend:principal}, let one policy serve every requester
                   tagged with its own tenant and principal (e.g. --principal '\${aws:username}' for IAM users).

--reply-key-arn defaults to $CREDVEND_REPLY_KEY_ARN: the reply key's ARN (not an alias).`;

const TAG_TENANT = "${aws:PrincipalTag/credvend:tenant}";
const TAG_PRINCIPAL = "${aws:PrincipalTag/credvend:principal}";

function replyKeyArn(flag: string | undefined): string {
  const arn = flag ?? requesterEnv().replyKeyArn;
  if (!arn) throw new UsageError("--reply-key-arn (or CREDVEND_REPLY_KEY_ARN) is required: the ARN of the workers' reply KMS key (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID)");
  return arn;
}

/** The builders refuse bad input with a RangeError that says what to fix: a usage error here. */
function built<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

function print(out: (line: string) => void, document: object): number {
  out(JSON.stringify(document, null, 2));
  return 0;
}

function trustPolicy(argv: readonly string[], out: (line: string) => void): number {
  const { values } = parse(argv, { config: { type: "string" }, template: { type: "string" }, "vendor-arn": { type: "string" } });
  const file = values.config ?? requesterEnv().configFile;
  if (!file || !values.template || !values["vendor-arn"]) throw new UsageError("--template, --vendor-arn and --config (or CREDVEND_CONFIG) are required");
  const { config } = loadConfig(file, values.config ? "--config" : "CREDVEND_CONFIG");
  const template = values.template;
  const vendorPrincipalArn = values["vendor-arn"];
  return print(out, built(() => trustPolicyFor(config, template, { vendorPrincipalArn })));
}

function workerPolicy(argv: readonly string[], out: (line: string) => void): number {
  const { values, positionals } = parse(argv, { "reply-key-arn": { type: "string" }, "credential-source": { type: "string" } }, 1);
  const file = positionals[0] ?? requesterEnv().configFile;
  if (!file) throw new UsageError("name the config FILE (or set CREDVEND_CONFIG)");
  const { config } = loadConfig(file, positionals[0] ? "config" : "CREDVEND_CONFIG");
  const keyArn = replyKeyArn(values["reply-key-arn"]);
  const profile = values["credential-source"];
  if (profile !== undefined) {
    const partition = keyArn.split(":")[1] ?? "aws";
    const policy = built(() => credentialSourcePolicyFor(config, profile, { partition }));
    if (policy === undefined) {
      process.stderr.write(`credvend iam: the templates of profile ${profile} are session_token only: GetSessionToken needs no IAM permission, so its user needs no policy\n`);
      return 0;
    }
    return print(out, policy);
  }
  const code = print(out, built(() => workerPolicyFor(config, { replyKeyArn: keyArn })));
  for (const [name, templates] of credentialSources(config)) {
    process.stderr.write(`credvend iam: templates ${templates.join(", ")} sign with credential_source profile ${name}, not this identity: see 'credvend iam worker-policy --credential-source ${name}'\n`);
  }
  return code;
}

function requesterPolicy(argv: readonly string[], out: (line: string) => void): number {
  const { values } = parse(argv, { "reply-key-arn": { type: "string" }, tenant: { type: "string" }, principal: { type: "string" } });
  const keyArn = replyKeyArn(values["reply-key-arn"]);
  const encryptionContext = encryptionContextFor({ tenant: values.tenant ?? TAG_TENANT, principal: values.principal ?? TAG_PRINCIPAL });
  return print(out, built(() => requesterPolicyFor({ replyKeyArn: keyArn, encryptionContext })));
}

const SUBCOMMANDS: Readonly<Record<string, (argv: readonly string[], out: (line: string) => void) => number>> = {
  "trust-policy": trustPolicy,
  "worker-policy": workerPolicy,
  "requester-policy": requesterPolicy,
};

export async function iamCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  const names = Object.keys(SUBCOMMANDS).join(", ");
  const run = sub !== undefined && Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (!run) throw new UsageError(sub ? `unknown subcommand '${sub}'${didYouMean(sub, Object.keys(SUBCOMMANDS)) || `; use one of ${names}`}` : `iam needs a subcommand: ${names}`);
  return run(rest, out);
}
