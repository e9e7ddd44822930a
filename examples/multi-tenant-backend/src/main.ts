// The runnable backend: GET /tenants/<tenant>/identity answers which AWS identity the backend
// holds for that customer (STS GetCallerIdentity, signed with the tenant's credvend credentials).
// A real backend would make S3 or DynamoDB calls the same way: `new S3Client({ credentials })`.
//
//   NATS_URL=nats://127.0.0.1:4222 CREDVEND_TENANT=platform CREDVEND_PRINCIPAL=backend \
//   CREDVEND_REPLY_KEY_ARN=arn:aws:kms:... CREDVEND_TEMPLATE=s3-tenant-read \
//   CREDVEND_PARAMS=bucket=acme-data PORT=8080 node examples/multi-tenant-backend/dist/main.js
//
// The backend's own AWS identity (for KMS Decrypt of replies) and endpoints come from the AWS
// SDK's usual settings (AWS_REGION, AWS_PROFILE or keys, AWS_ENDPOINT_URL_KMS/_STS).
import { KMSClient } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { CredvendClient, CredvendError } from "@credvend/client";
import { connect } from "nats";
import { createServer, type ServerResponse } from "node:http";
import { TenantCredentials } from "./tenant-credentials.js";

interface Settings {
  readonly natsUrl: string;
  readonly tenant: string;
  readonly principal: string;
  readonly replyKeyArn: string;
  readonly template: string;
  readonly params: Record<string, string>;
  readonly region: string;
  readonly port: number;
}

function settingsFromEnv(env: NodeJS.ProcessEnv): Settings {
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${name} is required (see the comment at the top of main.ts)`);
    return value;
  };
  const params: Record<string, string> = {};
  for (const pair of (env.CREDVEND_PARAMS ?? "").split(",").filter(Boolean)) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new Error(`CREDVEND_PARAMS: '${pair}' is not name=value`);
    params[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return {
    natsUrl: need("NATS_URL"),
    tenant: need("CREDVEND_TENANT"),
    principal: need("CREDVEND_PRINCIPAL"),
    replyKeyArn: need("CREDVEND_REPLY_KEY_ARN"),
    template: need("CREDVEND_TEMPLATE"),
    params,
    region: env.AWS_REGION ?? "us-east-1",
    port: Number(env.PORT ?? "8080"),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** credvend's code says who is at fault: a refusal is the customer's (403/400), an outage ours (503). */
function statusFor(error: CredvendError): number {
  if (error.code === "PERMISSION_DENIED" || error.code === "UNAUTHENTICATED") return 403;
  if (error.code === "INVALID_ARGUMENT" || error.code === "NOT_FOUND") return 400;
  return 503;
}

async function main(): Promise<void> {
  const settings = settingsFromEnv(process.env);
  const nc = await connect({ servers: settings.natsUrl, name: "multi-tenant-backend" });
  const kms = new KMSClient({ region: settings.region });
  const client = new CredvendClient({ nc, tenant: settings.tenant, principal: settings.principal, kms, replyKeyArn: settings.replyKeyArn });
  const tenants = new TenantCredentials(client, { template: settings.template, params: settings.params });
  const stsFor = new Map<string, STSClient>();

  const server = createServer((req, res) => {
    const match = /^\/tenants\/([^/]+)\/identity$/.exec(req.url ?? "");
    if (req.method !== "GET" || !match?.[1]) return send(res, 404, { error: "GET /tenants/<tenant>/identity" });
    const tenant = decodeURIComponent(match[1]);
    let sts = stsFor.get(tenant);
    try {
      sts ??= new STSClient({ region: settings.region, credentials: tenants.for(tenant) });
    } catch (error) {
      return send(res, 400, { error: error instanceof Error ? error.message : String(error) });
    }
    stsFor.set(tenant, sts);
    sts.send(new GetCallerIdentityCommand({})).then(
      (me) => send(res, 200, { tenant, arn: me.Arn }),
      (error: unknown) => {
        if (error instanceof CredvendError) {
          // A refused tenant keeps no client here: names that probe the rules cost no memory.
          if (statusFor(error) !== 503 && stsFor.delete(tenant)) sts?.destroy();
          return send(res, statusFor(error), { tenant, reason: error.reason, error: error.message });
        }
        send(res, 502, { tenant, error: error instanceof Error ? error.name : "failed" });
      },
    );
  });
  server.listen(settings.port, "127.0.0.1", () => {
    const address = server.address();
    console.log(JSON.stringify({ listening: typeof address === "object" && address ? address.port : settings.port }));
  });
  const stop = () => {
    server.close();
    for (const sts of stsFor.values()) sts.destroy();
    kms.destroy();
    void nc.close();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
