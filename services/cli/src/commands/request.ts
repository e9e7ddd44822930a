import { KMSClient } from "@aws-sdk/client-kms";
import { CredvendClient } from "@credvend/client";
import { parse, parseIntFlag, parseParams, parseRequestId, UsageError } from "../args.js";
import { requesterEnv } from "../cli-env.js";
import { connectNats, permissionDeniedSignal, requireAwsRegion } from "../connect.js";
import { BEARER_OPTIONS, bearerInputs } from "./request-inputs.js";

export const REQUEST_USAGE = `usage: credvend request --template T [--param k=v]... [--duration S] [--on-behalf-of TENANT] [--request-id ID] [--timeout MS]
       [--web-identity-token-file FILE | --saml-assertion-file FILE [--saml-provider-arn ARN]]
       [--mfa-serial SERIAL --mfa-code -]

Asks the vendor for credentials and prints them as JSON (credential_process format plus details).
Identity and endpoints come from the environment: NATS_URL, NATS_USER, NATS_PASSWORD,
CREDVEND_TENANT, CREDVEND_PRINCIPAL, CREDVEND_REPLY_KEY_ARN (the workers' reply key: replies
sealed under any other key are refused), and the AWS SDK's variables for decrypting the reply
(AWS_REGION, AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...).

Web identity tokens and SAML assertions (base64, as the IdP posts them) are read from files, never
from the command line. --mfa-code - reads the code at a prompt (or the first line of stdin), so it
stays out of shell history; a code given as the flag's value works too.`;

export async function requestCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { values } = parse(argv, {
    template: { type: "string" },
    param: { type: "string", multiple: true },
    duration: { type: "string" },
    "on-behalf-of": { type: "string" },
    "request-id": { type: "string" },
    timeout: { type: "string" },
    ...BEARER_OPTIONS,
  });
  if (!values.template) throw new UsageError("--template is required");
  // Everything that can be checked locally is, before a connection is made or an STS call spent.
  const timeoutMs = parseIntFlag("timeout", values.timeout);
  const duration = parseIntFlag("duration", values.duration);
  const params = parseParams(values.param);
  const requestId = parseRequestId(values["request-id"]);
  const bearer = await bearerInputs(values);
  const env = requesterEnv();
  if (!env.tenant || !env.principal) throw new UsageError("set CREDVEND_TENANT and CREDVEND_PRINCIPAL to the requester's tenant and principal");
  if (!env.replyKeyArn) throw new UsageError("set CREDVEND_REPLY_KEY_ARN to the ARN of the workers' reply KMS key (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID); replies sealed under any other key are refused");
  const region = await requireAwsRegion(env.region, "the reply is decrypted with KMS there");
  const nc = await connectNats(env, `credvend-cli:${env.tenant}.${env.principal}`);
  const denied = permissionDeniedSignal(nc);
  const kms = new KMSClient({ region });
  try {
    const client = new CredvendClient({ nc, tenant: env.tenant, principal: env.principal, kms, replyKeyArn: env.replyKeyArn, ...(timeoutMs ? { timeoutMs } : {}) });
    const creds = await client.request({
      template: values.template,
      params,
      ...(duration ? { durationSeconds: duration } : {}),
      ...(values["on-behalf-of"] ? { onBehalfOf: values["on-behalf-of"] } : {}),
      ...(requestId ? { requestId } : {}),
      ...bearer,
      signal: denied,
    });
    // This command's job is to hand credentials to the caller (like `aws configure export-credentials`).
    out(JSON.stringify({
      Version: 1,
      AccessKeyId: creds.accessKeyId,
      SecretAccessKey: creds.secretAccessKey,
      SessionToken: creds.sessionToken,
      Expiration: creds.expiration.toISOString(),
      Arn: creds.arn,
      RequestId: creds.requestId,
    }, null, 2));
    return 0;
  } finally {
    kms.destroy();
    await nc.close();
  }
}
