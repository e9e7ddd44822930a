// IAM's awsQuery XML: the same shape as STS's (`<OpResponse><OpResult>…`, `<ErrorResponse>`), in
// IAM's namespace. Policy documents travel URL-encoded (RFC 3986), as IAM returns them.
import type { AwsError } from "../types.js";
import { el, escapeXml } from "../sts/xml.js";

export const IAM_XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/";

/** `resultXml` undefined: an operation with no output (PutRolePolicy, DeleteRolePolicy). */
export function iamSuccessXml(operation: string, resultXml: string | undefined, requestId: string): string {
  return (
    `<${operation}Response xmlns="${IAM_XMLNS}">\n` +
    (resultXml === undefined ? "" : `  <${operation}Result>${resultXml}</${operation}Result>\n`) +
    `  <ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata>\n` +
    `</${operation}Response>\n`
  );
}

export function iamErrorXml(error: AwsError, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${IAM_XMLNS}">\n` +
    `  <Error>${el("Type", error.fault)}${el("Code", error.code)}${el("Message", error.message)}</Error>\n` +
    `  ${el("RequestId", requestId)}\n` +
    `</ErrorResponse>\n`
  );
}

/** encodeURIComponent plus the RFC 3986 reserved characters it leaves alone. */
export function encodePolicyDocument(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
