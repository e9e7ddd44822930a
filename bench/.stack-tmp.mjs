import { devCredentials, DEV_ACCOUNT_ID, DEV_REPLY_KEY_ID } from "@credvend/aws-local";
import fs from "node:fs";
import { stopAll } from "./procs.mjs";
import { startAwsLocalChild, startServers, startWorkerChild } from "./topology.mjs";
const log = (l) => process.stderr.write(l + "\n");
const { nats, redis } = await startServers(log);
const aws = await startAwsLocalChild(log);
startWorkerChild({ natsUrl: nats.url, redisUrl: redis.url, awsEndpoint: aws.endpoint, extraEnv: { CREDVEND_AUDIT: "off" } });
const r = devCredentials("demo-app");
fs.writeFileSync("/tmp/stack.env", [
  `export NATS_URL=${nats.url}`, "export CREDVEND_TENANT=acme", "export CREDVEND_PRINCIPAL=demo-app",
  `export CREDVEND_REPLY_KEY_ARN=arn:aws:kms:us-east-1:${DEV_ACCOUNT_ID}:key/${DEV_REPLY_KEY_ID}`,
  `export CREDVEND_AWS_ACCESS_KEY_ID=${r.accessKeyId}`, `export CREDVEND_AWS_SECRET_ACCESS_KEY='${r.secretAccessKey}'`,
  `export AWS_ENDPOINT_URL=${aws.endpoint}`, "export CREDVEND_CACHE_DIR=/tmp/cvcache", ""].join("\n"));
log("ready");
process.on("SIGTERM", async () => { await stopAll(); process.exit(0); });
setInterval(() => {}, 1000);
