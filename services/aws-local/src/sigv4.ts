// AWS Signature Version 4 verification (server side), with node:crypto only.
// Rebuilds the canonical request from the request's own SignedHeaders list, so it accepts the JS
// SDK's large signed-header set and botocore's minimal one alike. Presigned query strings
// (X-Amz-Algorithm=… in the URL) are accepted too. Credential lookup is the caller's job: parse
// first, look the key up, then verify.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export const SIGV4_ALGORITHM = "AWS4-HMAC-SHA256";
export const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** The parts of an HTTP request that SigV4 covers. Header names lowercase. */
export interface SignedRequest {
  readonly method: string;
  /** Path as received, without the query string. */
  readonly rawPath: string;
  /** Query string as received, without the "?" ("" if none). */
  readonly rawQuery: string;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Buffer;
}

export interface ParsedSignature {
  readonly accessKeyId: string;
  /** yyyymmdd from the credential scope. */
  readonly scopeDate: string;
  readonly region: string;
  readonly service: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  /** yyyymmddTHHMMSSZ */
  readonly amzDate: string;
  readonly securityToken: string | undefined;
  readonly presigned: boolean;
  /** X-Amz-Expires of a presigned URL, seconds. */
  readonly expiresSeconds: number | undefined;
}

export type SigV4FailureKind =
  | "missing" // no Authorization header / presign parameters at all
  | "incomplete" // present but malformed
  | "mismatch" // signature, scope or payload hash wrong
  | "expired" // timestamp too old (or presigned URL expired)
  | "not-yet-valid"; // timestamp in the future beyond the window

/** A verification failure; the protocol layer turns `kind` into the service's error spelling. */
export class SigV4Error extends Error {
  override readonly name = "SigV4Error";
  constructor(
    readonly kind: SigV4FailureKind,
    message: string,
  ) {
    super(message);
  }
}

const AMZ_DATE = /^(\d{8})T\d{6}Z$/;
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
// Region names as AWS spells them (us-east-1, us-gov-west-1, eu-isoe-west-1). Checked before any
// key derivation so an unauthenticated caller can not fill the signing-key cache with huge keys.
const REGION = /^[a-z]{2}(-[a-z0-9]+){1,4}$/;

/** Reads the signature parameters from the Authorization header or a presigned query string. */
export function parseSignature(req: SignedRequest, query: URLSearchParams): ParsedSignature {
  const auth = req.headers["authorization"];
  if (auth !== undefined && auth !== "") return parseAuthorizationHeader(auth, req);
  if (query.has("X-Amz-Algorithm") || query.has("X-Amz-Signature")) return parsePresigned(query);
  throw new SigV4Error("missing", "Request is missing Authentication Token");
}

function parseAuthorizationHeader(auth: string, req: SignedRequest): ParsedSignature {
  const space = auth.indexOf(" ");
  const algorithm = space < 0 ? auth : auth.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) {
    throw new SigV4Error("incomplete", `Unsupported AWS 'algorithm': '${truncate(algorithm, 40)}'. Use ${SIGV4_ALGORITHM}.`);
  }
  const fields = new Map<string, string>();
  for (const part of auth.slice(space + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  for (const name of ["Credential", "SignedHeaders", "Signature"]) {
    if (!fields.get(name)) {
      throw new SigV4Error("incomplete", `Authorization header requires '${name}' parameter.`);
    }
  }
  const amzDate = req.headers["x-amz-date"] ?? dateHeaderToAmz(req.headers["date"]);
  if (amzDate === undefined) {
    throw new SigV4Error("incomplete", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  return {
    ...parseCredential(fields.get("Credential") ?? ""),
    signedHeaders: (fields.get("SignedHeaders") ?? "").split(";"),
    signature: fields.get("Signature") ?? "",
    amzDate,
    securityToken: req.headers["x-amz-security-token"],
    presigned: false,
    expiresSeconds: undefined,
  };
}

function parsePresigned(query: URLSearchParams): ParsedSignature {
  if (query.get("X-Amz-Algorithm") !== SIGV4_ALGORITHM) {
    throw new SigV4Error("incomplete", `X-Amz-Algorithm must be ${SIGV4_ALGORITHM}.`);
  }
  for (const name of ["X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Date"]) {
    if (!query.get(name)) throw new SigV4Error("incomplete", `Query-string authentication requires the ${name} parameter.`);
  }
  const expires = query.get("X-Amz-Expires");
  return {
    ...parseCredential(query.get("X-Amz-Credential") ?? ""),
    signedHeaders: (query.get("X-Amz-SignedHeaders") ?? "").split(";"),
    signature: query.get("X-Amz-Signature") ?? "",
    amzDate: query.get("X-Amz-Date") ?? "",
    securityToken: query.get("X-Amz-Security-Token") ?? undefined,
    presigned: true,
    // Digits only: Number() would also take "1e5", "0x10" or " 60 ", which AWS refuses.
    expiresSeconds: expires === null ? undefined : /^\d{1,7}$/.test(expires) ? Number(expires) : Number.NaN,
  };
}

function parseCredential(credential: string): Pick<ParsedSignature, "accessKeyId" | "scopeDate" | "region" | "service"> {
  const parts = credential.split("/");
  if (parts.length !== 5 || parts[4] !== "aws4_request" || !parts[0] || !/^\d{8}$/.test(parts[1] ?? "")) {
    throw new SigV4Error(
      "incomplete",
      "Credential must have the form <AccessKeyId>/<yyyymmdd>/<region>/<service>/aws4_request.",
    );
  }
  return { accessKeyId: parts[0], scopeDate: parts[1] ?? "", region: parts[2] ?? "", service: parts[3] ?? "" };
}

export interface VerifyOptions {
  readonly secretAccessKey: string;
  /** The service this endpoint path serves ("sts" or "kms"): the credential scope must name it. */
  readonly expectedService: string;
  /** Wall-clock now (epoch ms) for the freshness window. */
  readonly nowMs: number;
  readonly clockSkewSeconds: number;
  /**
   * The region this endpoint serves: a credential scoped to any other is refused, as an AWS
   * regional endpoint refuses it ("Credential should be scoped to a valid region"). Absent: any
   * well-formed region (signing helpers that verify their own output).
   */
  readonly expectedRegion?: string;
}

/** Throws SigV4Error unless the request is correctly signed with `secretAccessKey` and fresh. */
export function verifySignature(req: SignedRequest, parsed: ParsedSignature, opts: VerifyOptions): void {
  const dateMatch = AMZ_DATE.exec(parsed.amzDate);
  // The round trip also refuses non-calendar times (hour 24, second 99) that Date.UTC would
  // otherwise silently normalise into a different instant than the one that was signed.
  if (!dateMatch || msToAmzDate(amzDateToMs(parsed.amzDate)) !== parsed.amzDate) {
    throw new SigV4Error("incomplete", "X-Amz-Date must have the form yyyyMMddTHHmmssZ (UTC).");
  }
  if (dateMatch[1] !== parsed.scopeDate) {
    throw new SigV4Error(
      "mismatch",
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parsed.scopeDate}' != '${dateMatch[1]}', from '${parsed.amzDate}'.`,
    );
  }
  if (parsed.service !== opts.expectedService) {
    throw new SigV4Error("mismatch", `Credential should be scoped to correct service: '${opts.expectedService}'.`);
  }
  if (parsed.region.length > 32 || !REGION.test(parsed.region) || (opts.expectedRegion !== undefined && parsed.region !== opts.expectedRegion)) {
    throw new SigV4Error("mismatch", `Credential should be scoped to a valid region, not '${truncate(parsed.region, 32)}'.${opts.expectedRegion !== undefined && REGION.test(parsed.region) ? ` This endpoint serves ${opts.expectedRegion}: sign for it (AWS_REGION / the client's region).` : ""}`);
  }
  checkFreshness(parsed, opts);
  if (!parsed.signedHeaders.includes("host")) {
    throw new SigV4Error("incomplete", "'Host' must be a signed header.");
  }
  // X-Amz-Target picks the awsJson operation and is not in the body: left unsigned, a captured
  // GenerateDataKeyWithoutPlaintext could be replayed as GenerateDataKey (same body) and hand the
  // plaintext data key to whoever replays it. The SDKs and the CLI always sign it.
  if (req.headers["x-amz-target"] !== undefined && !parsed.signedHeaders.includes("x-amz-target")) {
    throw new SigV4Error("incomplete", "'X-Amz-Target' must be a signed header.");
  }

  const scope = `${parsed.scopeDate}/${parsed.region}/${parsed.service}/aws4_request`;
  const key = signingKey(opts.secretAccessKey, parsed.scopeDate, parsed.region, parsed.service);
  const given = Buffer.from(parsed.signature, "hex");
  let matched = false;
  // Every candidate is public (a hash of the body, or the UNSIGNED-PAYLOAD literal for an empty
  // presigned request), so trying each in turn leaks nothing about the key.
  for (const payloadHash of payloadHashCandidates(req, parsed.presigned)) {
    const canonical = canonicalRequest(req, parsed, payloadHash);
    const stringToSign = `${SIGV4_ALGORITHM}\n${parsed.amzDate}\n${scope}\n${sha256Hex(canonical)}`;
    const expected = createHmac("sha256", key).update(stringToSign, "utf8").digest();
    if (given.length === expected.length && parsed.signature.length === 64 && timingSafeEqual(given, expected)) matched = true;
  }
  if (!matched) {
    throw new SigV4Error(
      "mismatch",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }
}

function checkFreshness(parsed: ParsedSignature, opts: VerifyOptions): void {
  const signedAt = amzDateToMs(parsed.amzDate);
  const windowMs = opts.clockSkewSeconds * 1000;
  const minutes = `${Math.round(opts.clockSkewSeconds / 60)} min.`;
  const now = opts.nowMs;
  if (parsed.presigned) {
    const expires = parsed.expiresSeconds ?? 900;
    if (!Number.isFinite(expires) || expires < 1 || expires > 604800) {
      throw new SigV4Error("incomplete", "X-Amz-Expires must be between 1 and 604800 seconds.");
    }
    if (now > signedAt + expires * 1000) {
      throw new SigV4Error("expired", `Request has expired: signed at ${parsed.amzDate}, valid for ${expires} seconds.`);
    }
  } else if (signedAt < now - windowMs) {
    throw new SigV4Error(
      "expired",
      `Signature expired: ${parsed.amzDate} is now earlier than ${msToAmzDate(now - windowMs)} (${msToAmzDate(now)} - ${minutes})`,
    );
  }
  if (signedAt > now + windowMs) {
    throw new SigV4Error(
      "not-yet-valid",
      `Signature not yet current: ${parsed.amzDate} is still later than ${msToAmzDate(now + windowMs)} (${msToAmzDate(now)} + ${minutes})`,
    );
  }
}

/**
 * The payload hashes the signature may have been computed over. The signature must always cover
 * the body: UNSIGNED-PAYLOAD is only accepted when there is no body at all. (Accepting it with a
 * body let a presigned GetCallerIdentity URL be replayed with `x-amz-content-sha256:
 * UNSIGNED-PAYLOAD` and a form body `Action=AssumeRole&…`, whose parameters override the query.)
 * A presigned URL without the header may have been signed either way: the JS signer hashes the
 * empty body, botocore (`aws eks get-token`) uses UNSIGNED-PAYLOAD.
 */
function payloadHashCandidates(req: SignedRequest, presigned: boolean): readonly string[] {
  const declared = req.headers["x-amz-content-sha256"];
  const actual = req.body.length === 0 ? EMPTY_SHA256 : sha256Hex(req.body);
  if (declared === undefined) return presigned && req.body.length === 0 ? [actual, UNSIGNED_PAYLOAD] : [actual];
  if (declared === UNSIGNED_PAYLOAD) {
    if (req.body.length > 0) {
      throw new SigV4Error("mismatch", "UNSIGNED-PAYLOAD is not accepted for a request with a body: sign the SHA-256 of the body.");
    }
    return [UNSIGNED_PAYLOAD];
  }
  if (declared.toLowerCase() !== actual) {
    throw new SigV4Error("mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  return [declared];
}

function canonicalRequest(req: SignedRequest, parsed: ParsedSignature, payloadHash: string): string {
  const headerLines: string[] = [];
  const sortedNames = [...parsed.signedHeaders].sort();
  for (const name of sortedNames) {
    // Own properties only: a signed-header name such as "constructor" must not reach Object.prototype.
    const value = Object.hasOwn(req.headers, name) ? req.headers[name] : undefined;
    if (typeof value !== "string") {
      throw new SigV4Error("mismatch", `The signed header '${truncate(name, 64)}' is not present in the request.`);
    }
    headerLines.push(`${name}:${value.trim().replace(/\s+/g, " ")}\n`);
  }
  return [
    req.method,
    canonicalPath(req.rawPath),
    canonicalQuery(req.rawQuery, parsed.presigned),
    headerLines.join(""),
    sortedNames.join(";"),
    payloadHash,
  ].join("\n");
}

/** Non-S3 services double-encode the path; for "/" (all STS and KMS traffic) it is "/". */
function canonicalPath(rawPath: string): string {
  if (rawPath === "/" || rawPath === "") return "/";
  return rawPath
    .split("/")
    .map((segment) => uriEscape(segment))
    .join("/");
}

function canonicalQuery(rawQuery: string, presigned: boolean): string {
  if (rawQuery === "") return "";
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = safeDecode(eq < 0 ? part : part.slice(0, eq));
    if (presigned && key === "X-Amz-Signature") continue;
    pairs.push([uriEscape(key), uriEscape(eq < 0 ? "" : safeDecode(part.slice(eq + 1)))]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

/** RFC 3986 percent-encoding, as SigV4 requires (encodeURIComponent leaves !'()* alone). */
export function uriEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

// Deriving a signing key costs four HMACs; SDK clients reuse one key per (secret, day, region,
// service), so caching it makes verification one SHA-256 pair plus one HMAC per request.
const SIGNING_KEY_CACHE_MAX = 10_000;
const signingKeys = new Map<string, Buffer>();

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const cacheKey = `${secret}\u0000${date}\u0000${region}\u0000${service}`;
  const hit = signingKeys.get(cacheKey);
  if (hit) return hit;
  const kDate = createHmac("sha256", `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac("sha256", kDate).update(region).digest();
  const kService = createHmac("sha256", kRegion).update(service).digest();
  const kSigning = createHmac("sha256", kService).update("aws4_request").digest();
  if (signingKeys.size >= SIGNING_KEY_CACHE_MAX) signingKeys.clear();
  signingKeys.set(cacheKey, kSigning);
  return kSigning;
}

export function amzDateToMs(amzDate: string): number {
  return Date.UTC(
    Number(amzDate.slice(0, 4)),
    Number(amzDate.slice(4, 6)) - 1,
    Number(amzDate.slice(6, 8)),
    Number(amzDate.slice(9, 11)),
    Number(amzDate.slice(11, 13)),
    Number(amzDate.slice(13, 15)),
  );
}

export function msToAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
}

function dateHeaderToAmz(date: string | undefined): string | undefined {
  if (date === undefined) return undefined;
  const ms = Date.parse(date);
  return Number.isNaN(ms) ? undefined : msToAmzDate(ms);
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * Signs a request the way the SDKs do (for tools and tests that talk to aws-local without an SDK).
 * Returns the headers to add: authorization, x-amz-date, x-amz-content-sha256, and the token if any.
 */
export function signHeaders(input: {
  readonly method: string;
  readonly host: string;
  readonly path?: string;
  readonly query?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly region: string;
  readonly service: string;
  readonly nowMs: number;
}): Record<string, string> {
  const body = typeof input.body === "string" ? Buffer.from(input.body) : input.body;
  const amzDate = msToAmzDate(input.nowMs);
  const added: Record<string, string> = {
    "x-amz-date": amzDate,
    "x-amz-content-sha256": sha256Hex(body),
  };
  if (input.sessionToken !== undefined) added["x-amz-security-token"] = input.sessionToken;
  const headers: Record<string, string> = { host: input.host };
  for (const [k, v] of Object.entries({ ...input.headers, ...added })) headers[k.toLowerCase()] = v;
  const parsed: ParsedSignature = {
    accessKeyId: input.accessKeyId,
    scopeDate: amzDate.slice(0, 8),
    region: input.region,
    service: input.service,
    signedHeaders: Object.keys(headers).sort(),
    signature: "",
    amzDate,
    securityToken: input.sessionToken,
    presigned: false,
    expiresSeconds: undefined,
  };
  const req: SignedRequest = { method: input.method, rawPath: input.path ?? "/", rawQuery: input.query ?? "", headers, body };
  const canonical = canonicalRequest(req, parsed, added["x-amz-content-sha256"] ?? EMPTY_SHA256);
  const scope = `${parsed.scopeDate}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = `${SIGV4_ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonical)}`;
  const signature = createHmac("sha256", signingKey(input.secretAccessKey, parsed.scopeDate, input.region, input.service))
    .update(stringToSign)
    .digest("hex");
  return {
    ...added,
    authorization: `${SIGV4_ALGORITHM} Credential=${input.accessKeyId}/${scope}, SignedHeaders=${parsed.signedHeaders.join(";")}, Signature=${signature}`,
  };
}
