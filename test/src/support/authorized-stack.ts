// A stack on NATS with the generated authorization (natsAuthorization) plus one unrestricted admin,
// who writes the config bucket: the worker runs on its generated grant with its config from KV, and
// demo-app requests on its own. For tests of what each generated user may and may not do.
import { randomBytes } from "node:crypto";
import assert from "node:assert/strict";
import { KMSClient } from "@aws-sdk/client-kms";
import { devCredentials, startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { CredvendClient } from "@credvend/client";
import { natsAuthorization, parseConfig, type NatsAuthorizationOptions } from "@credvend/policy";
import { redisUrl, startNatsServer, type NatsServerHandle } from "@credvend/testkit";
import { CONFIG_KV_BUCKET, CONFIG_KV_KEY, createLogger, openConfigBucket, runWorker, settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { connect, type NatsConnection } from "nats";
import { REGION, REPLY_KEY_ARN } from "./harness.js";

export const testPassword = (): string => randomBytes(12).toString("base64url");

export interface AuthorizedStack {
  readonly nats: NatsServerHandle;
  readonly awsLocal: AwsLocal;
  /** The unrestricted admin's connection (writes the config bucket). */
  readonly adminNc: NatsConnection;
  /** demo-app's connection, on its generated grant. */
  readonly demoNc: NatsConnection;
  readonly vendor: RunningWorker;
  readonly vendorUser: { readonly user: string; readonly password: string };
  /** demo-app's client (KMS-sealed replies). */
  readonly client: CredvendClient;
  stop(): Promise<void>;
}

export interface AuthorizedStackOptions {
  readonly tenant: string;
  readonly configText: string;
  readonly admin: { readonly user: string; readonly password: string };
  /** Other generated users (operator, auditor), beside the vendor and demo-app. */
  readonly extraUsers?: Pick<NatsAuthorizationOptions, "operator" | "auditor">;
  readonly hashSecrets?: NatsAuthorizationOptions["hashSecrets"];
}

export async function startAuthorizedStack(o: AuthorizedStackOptions): Promise<AuthorizedStack> {
  const vendorUser = { user: "credvend-vendor", password: testPassword() };
  const demo = { tenant: o.tenant, principal: "demo-app", user: "demo-app", password: testPassword() };
  const parsed = parseConfig(o.configText);
  assert.ok(parsed.ok);
  const block = natsAuthorization(parsed.config, { vendor: vendorUser, identities: [demo], ...o.extraUsers, ...(o.hashSecrets ? { hashSecrets: o.hashSecrets } : {}) })
    .replace("users = [", `users = [\n    { user: "${o.admin.user}", password: "${o.admin.password}" },`);
  const nats = await startNatsServer({ config: block });
  const awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  const adminNc = await connect({ servers: nats.url, user: o.admin.user, pass: o.admin.password });
  await (await openConfigBucket(adminNc, CONFIG_KV_BUCKET, { create: true })).put(CONFIG_KV_KEY, o.configText);
  const settings = settingsFromEnv({
    NATS_URL: nats.url, NATS_USER: vendorUser.user, NATS_PASSWORD: vendorUser.password, REDIS_URL: await redisUrl(),
    CREDVEND_CONFIG_KV_BUCKET: CONFIG_KV_BUCKET, AWS_REGION: REGION, CREDVEND_LOG_LEVEL: process.env.CREDVEND_TEST_LOG_LEVEL ?? "silent",
  });
  const vendor = await runWorker(settings, { logger: createLogger({ level: settings.logLevel, destination: process.stderr }), awsCredentials: devCredentials("credvend-vendor"), awsEndpoint: awsLocal.endpoint });
  const demoNc = await connect({ servers: nats.url, user: demo.user, pass: demo.password });
  const kms = new KMSClient({ region: REGION, endpoint: awsLocal.endpoint, credentials: devCredentials("demo-app") });
  const client = new CredvendClient({ nc: demoNc, tenant: o.tenant, principal: "demo-app", kms, replyKeyArn: REPLY_KEY_ARN });
  return {
    nats, awsLocal, adminNc, demoNc, vendor, vendorUser, client,
    async stop() {
      await vendor.stop();
      kms.destroy();
      await demoNc.close();
      await adminNc.close();
      await awsLocal.stop();
      await nats.stop();
    },
  };
}
