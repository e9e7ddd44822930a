// The environment of the command `credvend exec` runs. It gets the container-credentials endpoint
// and nothing that would win over it in an SDK's credential chain (static keys and profiles come
// first in every SDK's chain, and would stop the refresh), nor the requester's own secrets: the
// command is given the vended credentials, not the NATS password or the identity that opens replies.
import { withoutUrlUserinfo } from "@credvend/protocol";
import { RECURSION_MARKER } from "./recursion.js";

const REMOVED = [
  "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
  "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
  "CREDVEND_AWS_ACCESS_KEY_ID", "CREDVEND_AWS_SECRET_ACCESS_KEY", "CREDVEND_AWS_SESSION_TOKEN", "NATS_PASSWORD",
  RECURSION_MARKER,
];

export function childEnv(parent: NodeJS.ProcessEnv, endpoint: { readonly url: string; readonly token: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...parent };
  for (const name of REMOVED) delete env[name];
  // NATS_URL may carry the requester's NATS password or token instead of NATS_PASSWORD: the
  // command is not to have it.
  if (env.NATS_URL) env.NATS_URL = withoutUrlUserinfo(env.NATS_URL);
  env.AWS_CONTAINER_CREDENTIALS_FULL_URI = endpoint.url;
  env.AWS_CONTAINER_AUTHORIZATION_TOKEN = endpoint.token;
  return env;
}
