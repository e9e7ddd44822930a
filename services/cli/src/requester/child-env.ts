// The environment of the command `credvend exec` runs. It gets the container-credentials endpoint
// and nothing that would win over it in an SDK's credential chain (static keys and profiles come
// first in every SDK's chain, and would stop the refresh), nor the requester's own secrets: the
// command is given the vended credentials, not the NATS password or the identity that opens replies.
import { withoutUrlUserinfo } from "@credvend/protocol";
import { homedir } from "node:os";
import path from "node:path";
import { CliFailure } from "../args.js";
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

/**
 * Settings of a profile that give it credentials of its own. The SDKs and the CLI try the
 * "default" profile (env, then SSO, then the shared files, then credential_process) before the
 * container endpoint, so such a profile would silently run COMMAND as someone else.
 */
const CREDENTIAL_SETTINGS = [
  "aws_access_key_id", "credential_process", "role_arn", "sso_session", "sso_start_url",
  "web_identity_token_file", "credential_source", "login_session",
];

/** Refuses to start COMMAND when the AWS config files it will read give "default" credentials. */
export async function refuseWinningDefaultProfile(env: NodeJS.ProcessEnv): Promise<void> {
  const home = env.HOME || homedir();
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE || path.join(home, ".aws", "credentials");
  const configFile = env.AWS_CONFIG_FILE || path.join(home, ".aws", "config");
  const { parseKnownFiles } = await import("@smithy/core/config");
  const profiles = await parseKnownFiles({ ignoreCache: true, filepath: credentialsFile, configFilepath: configFile });
  const found = CREDENTIAL_SETTINGS.filter((setting) => profiles.default?.[setting] !== undefined);
  if (found.length === 0) return;
  // Only setting names are shown, never a value (a key, a role).
  throw new CliFailure(`the AWS profile "default" (${credentialsFile} or ${configFile}) has credentials (${found.join(", ")}), which the AWS SDKs and CLI use before credvend's endpoint, so COMMAND would not run with the vended credentials; move them to a named profile, or point AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE at files without them`);
}
