// Test scaffolding (used by *.test.ts only): start aws-local quietly, make SDK clients, and send
// raw (optionally signed) requests for the cases an SDK would never produce.
import { STSClient } from "@aws-sdk/client-sts";
import { KMSClient } from "@aws-sdk/client-kms";
import { startAwsLocal, type AwsLocal, type AwsLocalOptions } from "../server.js";
import { devCredentials } from "../dev-seed.js";
import { signHeaders } from "../sigv4.js";

export const TEST_REGION = "eu-west-1";

export interface Creds {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export async function startQuiet(options: AwsLocalOptions = {}): Promise<AwsLocal & { lines: string[] }> {
  const lines: string[] = [];
  // The region the tests' clients sign for: aws-local refuses requests signed for another.
  const local = await startAwsLocal({ logger: (l) => lines.push(l), region: TEST_REGION, ...options });
  return Object.assign(local, { lines });
}

export function stsClient(local: AwsLocal, creds: Creds | string = "credvend-vendor", maxAttempts = 1): STSClient {
  return new STSClient({
    region: TEST_REGION,
    endpoint: local.endpoint,
    credentials: typeof creds === "string" ? devCredentials(creds) : creds,
    maxAttempts,
  });
}

export function kmsClient(local: AwsLocal, creds: Creds | string = "credvend-vendor", maxAttempts = 1): KMSClient {
  return new KMSClient({
    region: TEST_REGION,
    endpoint: local.endpoint,
    credentials: typeof creds === "string" ? devCredentials(creds) : creds,
    maxAttempts,
  });
}

export interface RawReply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** Sends a raw request; signs it (SigV4, like the SDK does) when `sign` gives the credentials. */
export async function rawRequest(
  local: AwsLocal,
  init: {
    readonly method?: string;
    readonly path?: string;
    readonly headers?: Record<string, string>;
    readonly body?: string | Buffer;
    readonly sign?: { readonly creds: Creds; readonly service: "sts" | "kms"; readonly nowMs?: number };
  },
): Promise<RawReply> {
  const method = init.method ?? "POST";
  const body = init.body ?? "";
  const url = new URL(init.path ?? "/", local.endpoint);
  let headers: Record<string, string> = { ...init.headers };
  if (init.sign !== undefined) {
    const bodyBuf = typeof body === "string" ? Buffer.from(body) : body;
    headers = {
      ...headers,
      ...signHeaders({
        method,
        host: url.host,
        path: url.pathname,
        query: url.search.slice(1),
        headers,
        body: bodyBuf,
        accessKeyId: init.sign.creds.accessKeyId,
        secretAccessKey: init.sign.creds.secretAccessKey,
        ...(init.sign.creds.sessionToken === undefined ? {} : { sessionToken: init.sign.creds.sessionToken }),
        region: TEST_REGION,
        service: init.sign.service,
        nowMs: init.sign.nowMs ?? Date.now(),
      }),
    };
  }
  const payload = typeof body === "string" ? body : new Uint8Array(body);
  const res = await fetch(url, { method, headers, ...(method === "GET" || method === "HEAD" ? {} : { body: payload }) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** <Code> of an STS XML error body. */
export function xmlCode(text: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
}

export const FORM = { "content-type": "application/x-www-form-urlencoded; charset=utf-8" };

/** Runs `fn`, expecting an SDK error; returns it for assertions. */
export async function sdkError(fn: () => Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { $metadata?: { httpStatusCode?: number; attempts?: number } };
  }
  throw new Error("expected the call to fail, but it succeeded");
}
