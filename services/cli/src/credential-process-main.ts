// `credvend credential-process` on its own, bundled into dist/bundle/ (scripts/bundle.mjs): the AWS
// CLI and SDKs start it for every command, and a warm call's cost is mostly module loading, which
// one bundled file (the AWS SDK's ESM build inside) cuts by about half. bin/credvend.js takes this
// path for credential-process when the bundle exists, else the ordinary one; both run the same code.
import { credentialProcessCommand, CREDENTIAL_PROCESS_USAGE } from "./commands/credential-process.js";
import { reportFailure } from "./report-failure.js";

export async function main(argv: readonly string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    out(CREDENTIAL_PROCESS_USAGE);
    return 0;
  }
  try {
    return await credentialProcessCommand(argv, out);
  } catch (error) {
    return reportFailure("credential-process", error);
  }
}
