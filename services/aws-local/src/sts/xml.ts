// awsQuery XML replies, byte-compatible with what the SDK and botocore parse (fact sheet 2.2/2.3).
import type { AwsError } from "../types.js";

export const STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";

// Only element text is ever escaped (the one attribute, xmlns, is a constant), so &, < and > suffice.
const ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };

export function escapeXml(text: string): string {
  // Characters XML 1.0 can not carry at all are dropped rather than producing unparsable output.
  return text
    .replace(/[&<>]/g, (c) => ESCAPES[c] ?? c)
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "");
}

/** `<name>escaped text</name>`, or "" when value is undefined (optional members are omitted). */
export function el(name: string, value: string | number | undefined): string {
  return value === undefined ? "" : `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** An element whose children are already XML. */
export function group(name: string, childrenXml: string): string {
  return `<${name}>${childrenXml}</${name}>`;
}

export function stsSuccessXml(operation: string, resultXml: string, requestId: string): string {
  return (
    `<${operation}Response xmlns="${STS_XMLNS}">\n` +
    `  <${operation}Result>${resultXml}</${operation}Result>\n` +
    `  <ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata>\n` +
    `</${operation}Response>\n`
  );
}

export function stsErrorXml(error: AwsError, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${STS_XMLNS}">\n` +
    `  <Error>${el("Type", error.fault)}${el("Code", error.code)}${el("Message", error.message)}</Error>\n` +
    `  ${el("RequestId", requestId)}\n` +
    `</ErrorResponse>\n`
  );
}

/** ISO-8601 with seconds precision and Z, as STS writes Expiration. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function credentialsXml(c: {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiresAtMs: number;
}): string {
  return group(
    "Credentials",
    el("AccessKeyId", c.accessKeyId) +
      el("SecretAccessKey", c.secretAccessKey) +
      el("SessionToken", c.sessionToken) +
      el("Expiration", isoSeconds(c.expiresAtMs)),
  );
}
