import { CredvendClient } from "@credvend/client";
import { parse, parseIntFlag, parseParams, parseRequestId, UsageError } from "../args.js";
import { requesterEnv } from "../cli-env.js";
import { connectNats, permissionDeniedSignal } from "../connect.js";
import { requesterKms } from "../requester/aws-identity.js";
import { formatRequest, oneOf, REQUEST_OUTPUTS } from "../requester/formats.js";
import { refuseIfNested, refuseSelfProfile } from "../requester/recursion.js";
import { openingOptions, requester } from "../requester/spec.js";
import { BEARER_OPTIONS, bearerInputs } from "./request-inputs.js";

export const REQUEST_USAGE = `usage: credvend request --template T [--param k=v]... [--duration S] [--on-behalf-of TENANT] [--request-id ID] [--timeout MS] [--output json|table|env]
       [--web-identity-token-file FILE | --saml-assertion-file FILE [--saml-provider-arn ARN]]
       [--mfa-serial SERIAL --mfa-code -]

Asks the vendor for credentials and prints them: --output json (default: credential_process
format plus details), env ('export' lines, shell-quoted) or table (for a person; secrets masked).
Identity and endpoints come from the environment: NATS_URL, NATS_USER, NATS_PASSWORD,
CREDVEND_TENANT, CREDVEND_PRINCIPAL, CREDVEND_REPLY_KEY_ARN (the workers' reply key: replies
sealed under any other key are refused). The reply is decrypted with credvend's own AWS identity:
CREDVEND_AWS_PROFILE, or CREDVEND_AWS_ACCESS_KEY_ID + CREDVEND_AWS_SECRET_ACCESS_KEY, else the
AWS SDK's default chain (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...); CREDVEND_AWS_REGION, else
the reply key's region. A requester with no AWS identity sets CREDVEND_SEALING_PUBLIC_KEY (the
fleet's sealing key, base64, as workers log it) instead of CREDVEND_REPLY_KEY_ARN: the reply is
sealed to a fresh X25519 key of this request (an access rule must say sealed_replies: allow).

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
    output: { type: "string" },
    ...BEARER_OPTIONS,
  });
  if (!values.template) throw new UsageError("--template is required");
  // Everything that can be checked locally is, before a connection is made or an STS call spent.
  const timeoutMs = parseIntFlag("timeout", values.timeout);
  const duration = parseIntFlag("duration", values.duration);
  const params = parseParams(values.param);
  const output = oneOf("output", values.output, REQUEST_OUTPUTS, "json");
  const requestId = parseRequestId(values["request-id"]);
  const bearer = await bearerInputs(values);
  const who = requester(requesterEnv());
  refuseIfNested();
  if (who.opens === "kms") await refuseSelfProfile(who.aws.identity);
  const nc = await connectNats(who.env, `credvend-cli:${who.tenant}.${who.principal}`);
  const denied = permissionDeniedSignal(nc);
  // A sealed requester has no AWS identity: its replies open with a per-request X25519 key.
  const kms = who.opens === "sealed" ? undefined : await requesterKms(who.aws, who.replyKeyArn).catch(async (error: unknown) => {
    await nc.close();
    throw error;
  });
  try {
    const client = new CredvendClient({ nc, tenant: who.tenant, principal: who.principal, ...openingOptions(who, kms), ...(timeoutMs ? { timeoutMs } : {}) });
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
    out(formatRequest(creds, output));
    return 0;
  } finally {
    kms?.destroy();
    await nc.close();
  }
}
