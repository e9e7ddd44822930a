// The bearer inputs of `credvend request`: a web identity token or SAML assertion read from a file
// (never a flag value, so never in shell history or `ps`), and an MFA code read from the prompt or
// stdin with `--mfa-code -`. None of them is ever printed, not even in an error.
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { VendRequest } from "@credvend/client";
import { requireFile, UsageError } from "../args.js";

export interface BearerFlags {
  readonly "web-identity-token-file"?: string | undefined;
  readonly "saml-assertion-file"?: string | undefined;
  readonly "saml-provider-arn"?: string | undefined;
  readonly "mfa-serial"?: string | undefined;
  readonly "mfa-code"?: string | undefined;
}

export const BEARER_OPTIONS = {
  "web-identity-token-file": { type: "string" },
  "saml-assertion-file": { type: "string" },
  "saml-provider-arn": { type: "string" },
  "mfa-serial": { type: "string" },
  "mfa-code": { type: "string" },
} as const;

/** Reads the first line of stdin; prompts on stderr when stdin is a terminal. */
async function readCodeFromStdin(serial: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(`MFA code for ${serial}: `);
  const lines = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of lines) return line.trim();
    return "";
  } finally {
    lines.close();
  }
}

function readSecretFile(file: string, what: string): string {
  const text = readFileSync(requireFile(file, what), "utf8").trim();
  if (text.length === 0) throw new UsageError(`${what} ${file} is empty`);
  return text;
}

/** Checked before any connection is made, so a mistake costs no round trip. */
export async function bearerInputs(flags: BearerFlags): Promise<Pick<VendRequest, "federation" | "mfa">> {
  const tokenFile = flags["web-identity-token-file"];
  const samlFile = flags["saml-assertion-file"];
  if (tokenFile !== undefined && samlFile !== undefined) throw new UsageError("give --web-identity-token-file or --saml-assertion-file, not both");
  if (flags["saml-provider-arn"] !== undefined && samlFile === undefined) throw new UsageError("--saml-provider-arn goes with --saml-assertion-file");
  const federation = tokenFile !== undefined
    ? { webIdentityToken: readSecretFile(tokenFile, "--web-identity-token-file") }
    : samlFile !== undefined
      ? { samlAssertion: readSecretFile(samlFile, "--saml-assertion-file"), ...(flags["saml-provider-arn"] ? { samlProviderArn: flags["saml-provider-arn"] } : {}) }
      : undefined;

  const serial = flags["mfa-serial"];
  const given = flags["mfa-code"];
  if (serial === undefined && given !== undefined) throw new UsageError("--mfa-code needs --mfa-serial (the MFA device's serial number or ARN)");
  let mfa: VendRequest["mfa"];
  if (serial !== undefined) {
    if (given === undefined) throw new UsageError("--mfa-serial needs --mfa-code; write --mfa-code - to type the code at a prompt or pipe it on stdin");
    const tokenCode = given === "-" ? await readCodeFromStdin(serial) : given;
    if (!/^\d{6}$/.test(tokenCode)) throw new UsageError("the MFA code must be exactly 6 digits");
    mfa = { serialNumber: serial, tokenCode };
  }
  return { ...(federation ? { federation } : {}), ...(mfa ? { mfa } : {}) };
}
