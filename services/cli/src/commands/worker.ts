import { runVendor, settingsFromEnv } from "@credvend/vendor";
import { processEnv } from "../cli-env.js";

export const WORKER_USAGE = `usage: credvend worker

Runs one vendor worker until SIGINT/SIGTERM (then drains). Settings come from the environment:
NATS_URL, NATS_USER, NATS_PASSWORD, NATS_CREDS_FILE, REDIS_URL, CREDVEND_CONFIG (templates file;
SIGHUP reloads it) or CREDVEND_CONFIG_KV_BUCKET, CREDVEND_REPLY_KEY_ID, AWS_REGION, and the AWS
SDK's standard credential and endpoint variables. See the README for every variable.`;

export async function workerCommand(): Promise<number> {
  const settings = settingsFromEnv(processEnv());
  const vendor = await runVendor(settings);
  process.on("SIGHUP", () => vendor.reload());
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  vendor.log.info("draining");
  await vendor.stop();
  return 0;
}
