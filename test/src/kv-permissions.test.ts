// The worker's generated NATS grant is least privilege too: with it, a worker reads and watches
// the config bucket and serves requests, but can neither write the config nor touch streams.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { devCredentials } from "@credvend/aws-local";
import { natsAuthorization, parseConfig } from "@credvend/policy";
import { startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { redisUrl, startNatsServer, uniqueName, type NatsServerHandle } from "@credvend/testkit";
import { CONFIG_KV_BUCKET, CONFIG_KV_KEY, createLogger, openConfigBucket, runWorker, settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { KMSClient } from "@aws-sdk/client-kms";
import { CredvendClient } from "@credvend/client";
import { connect, type NatsConnection } from "nats";
import { randomBytes } from "node:crypto";
import { demoConfig } from "./support/config.js";
import { REGION, REPLY_KEY_ARN } from "./support/harness.js";

const tenant = uniqueName("perm");
const v1 = demoConfig({ tenants: [tenant] });
const v2 = v1.replace('params: { bucket: ["acme-data", "shared-data"] }', 'params: { bucket: ["acme-data", "shared-data", "fresh-data"] }');
const pw = () => randomBytes(12).toString("base64url");
const operator = { user: "operator", password: pw() };
const vendorUser = { user: "credvend-vendor", password: pw() };
const demo = { tenant, principal: "demo-app", user: "demo-app", password: pw() };
let nats: NatsServerHandle;
let awsLocal: AwsLocal;
let operatorNc: NatsConnection;
let demoNc: NatsConnection;
let vendor: RunningWorker;
let kms: KMSClient;

before(async () => {
  const parsed = parseConfig(v1);
  assert.ok(parsed.ok);
  // The generated block, plus an unrestricted operator (who runs `credvend config push`).
  const block = natsAuthorization(parsed.config, { vendor: vendorUser, identities: [demo] })
    .replace("users = [", `users = [\n    { user: "${operator.user}", password: "${operator.password}" },`);
  nats = await startNatsServer({ config: block });
  awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  operatorNc = await connect({ servers: nats.url, user: operator.user, pass: operator.password });
  await (await openConfigBucket(operatorNc, CONFIG_KV_BUCKET, { create: true })).put(CONFIG_KV_KEY, v1);
  const settings = settingsFromEnv({
    NATS_URL: nats.url, NATS_USER: vendorUser.user, NATS_PASSWORD: vendorUser.password, REDIS_URL: await redisUrl(),
    CREDVEND_CONFIG_KV_BUCKET: CONFIG_KV_BUCKET, AWS_REGION: REGION, CREDVEND_LOG_LEVEL: process.env.CREDVEND_TEST_LOG_LEVEL ?? "silent",
  });
  vendor = await runWorker(settings, { logger: createLogger({ level: settings.logLevel, destination: process.stderr }), awsCredentials: devCredentials("credvend-vendor"), awsEndpoint: awsLocal.endpoint });
  demoNc = await connect({ servers: nats.url, user: demo.user, pass: demo.password });
  kms = new KMSClient({ region: REGION, endpoint: awsLocal.endpoint, credentials: devCredentials("demo-app") });
});

after(async () => {
  await vendor?.stop();
  kms?.destroy();
  await demoNc?.close();
  await operatorNc?.close();
  await awsLocal?.stop();
  await nats?.stop();
});

test("on its generated grant a worker serves, reads and watches the config, and cannot change it", async () => {
  const client = new CredvendClient({ nc: demoNc, tenant, principal: "demo-app", kms, replyKeyArn: REPLY_KEY_ARN });
  assert.match((await client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } })).accessKeyId, /^ASIA/);

  const kv = await openConfigBucket(operatorNc, CONFIG_KV_BUCKET, { create: true });
  const rev = await kv.put(CONFIG_KV_KEY, v2);
  for (let i = 0; i < 250 && vendor.config.status().version !== `kv:${rev}`; i += 1) await new Promise((r) => setTimeout(r, 20));
  assert.equal(vendor.config.status().version, `kv:${rev}`, "the watch works on the narrowed grant");
  assert.match((await client.request({ template: "s3-tenant-read", params: { bucket: "fresh-data" } })).accessKeyId, /^ASIA/);

  // The worker's own identity may not write the config nor manage streams.
  const workerNc = await connect({ servers: nats.url, user: vendorUser.user, pass: vendorUser.password });
  try {
    await assert.rejects(workerNc.jetstream({ timeout: 1000 }).publish(`$KV.${CONFIG_KV_BUCKET}.${CONFIG_KV_KEY}`, new TextEncoder().encode("templates: {}")));
    const jsm = await workerNc.jetstreamManager({ timeout: 1000 });
    await assert.rejects(jsm.streams.delete(`KV_${CONFIG_KV_BUCKET}`));
    await assert.rejects(jsm.streams.add({ name: "SNEAKY", subjects: ["sneaky.>"] }));
  } finally {
    await workerNc.close();
  }
  const entry = await kv.get(CONFIG_KV_KEY);
  assert.equal(entry?.revision, rev, "the config is untouched");
});
