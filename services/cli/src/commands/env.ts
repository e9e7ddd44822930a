import { parse } from "../args.js";
import { requesterEnv } from "../cli-env.js";
import { cacheDirFromEnv } from "../requester/cache/dir.js";
import { CredentialSource } from "../requester/credential-source.js";
import { ENV_FORMATS, formatEnv, oneOf } from "../requester/formats.js";
import { REQUESTER_ENV_USAGE, requester, SPEC_OPTIONS, SPEC_USAGE, vendSpec } from "../requester/spec.js";

export const ENV_USAGE = `usage: credvend env --template T [--param k=v]... [--format env|json|powershell] [options]

Prints credentials as environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION): 'export' lines, shell-quoted, for
eval "$(credvend env --template T)"; --format powershell for $Env: lines; --format json for an
object. They do not renew themselves: for a job that may outlive them, use credvend exec.

  --format F            env (default), json or powershell
${SPEC_USAGE}

${REQUESTER_ENV_USAGE}`;

export async function envCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { values } = parse(argv, { ...SPEC_OPTIONS, format: { type: "string" } });
  const format = oneOf("format", values.format, ENV_FORMATS, "env");
  const spec = vendSpec(values);
  const source = new CredentialSource(spec, requester(requesterEnv()), { cacheDir: cacheDirFromEnv() });
  try {
    out(formatEnv(await source.get(), format));
    return 0;
  } finally {
    source.close();
  }
}
