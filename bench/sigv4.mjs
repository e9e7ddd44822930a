// A small, independent AWS Signature V4 signer for one POST with a form body (STS Query API). The
// bench signs a request once and replays it: the server still verifies every replay in full, so
// this measures aws-local's own cost per signed call without the AWS SDK's client-side cost.
import { createHash, createHmac } from "node:crypto";

const sha256hex = (data) => createHash("sha256").update(data).digest("hex");
const hmac = (key, data) => createHmac("sha256", key).update(data).digest();

/** Headers (including authorization) for POST / with `body` to `host` (e.g. "127.0.0.1:4566"). */
export function signStsPost({ host, body, accessKeyId, secretAccessKey, region, service = "sts", now = new Date() }) {
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const date = amzDate.slice(0, 8);
  const headers = {
    "content-type": "application/x-www-form-urlencoded; charset=utf-8",
    host,
    "x-amz-date": amzDate,
  };
  const names = Object.keys(headers).sort();
  const canonicalRequest = [
    "POST",
    "/",
    "",
    ...names.map((n) => `${n}:${String(headers[n]).trim()}`),
    "",
    names.join(";"),
    sha256hex(body),
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256hex(canonicalRequest)].join("\n");
  const kSigning = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), "aws4_request");
  const signature = createHmac("sha256", kSigning).update(stringToSign).digest("hex");
  return {
    ...headers,
    "content-length": String(Buffer.byteLength(body)),
    authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`,
  };
}
