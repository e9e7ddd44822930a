import { parse } from "../args.js";
import { requesterEnv } from "../cli-env.js";
import { cacheDirFromEnv } from "../requester/cache/dir.js";
import { CredentialSource } from "../requester/credential-source.js";
import { processJson } from "../requester/formats.js";
import { REQUESTER_ENV_USAGE, requester, SPEC_OPTIONS, SPEC_USAGE, vendSpec } from "../requester/spec.js";

export const CREDENTIAL_PROCESS_USAGE = `usage: credvend credential-process --template T [--param k=v]... [options]

Prints credentials as the AWS SDKs and CLI expect from a credential_process (Version 1 JSON
with Expiration). In ~/.aws/config:

  [profile etl]
  credential_process = credvend credential-process --template etl --param bucket=acme-data

A call answered from the cache (the sealed reply of an earlier call, while it has more than
the refresh margin left) makes no NATS connection: only one KMS Decrypt. Parallel callers
share one request (a lock file in the cache directory).

${SPEC_USAGE}

${REQUESTER_ENV_USAGE}`;

export async function credentialProcessCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { values } = parse(argv, SPEC_OPTIONS);
  const spec = vendSpec(values);
  const source = new CredentialSource(spec, requester(requesterEnv()), { cacheDir: cacheDirFromEnv() });
  try {
    out(processJson(await source.get()));
    return 0;
  } finally {
    source.close();
  }
}
