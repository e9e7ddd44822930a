import { ConfigHolder, runWorker, settingsFromEnv, unknownSettingLine, unknownSettings, type RunningWorker } from "@credvend/worker";
import { parse, requireFile } from "../args.js";
import { processEnv } from "../cli-env.js";
import { requireAwsRegion } from "../connect.js";
import { stopSignal } from "../stop-signal.js";

export const WORKER_USAGE = `usage: credvend worker

Runs one vendor worker until SIGINT/SIGTERM (then drains in-flight requests and exits 0);
SIGHUP reloads CREDVEND_CONFIG (an invalid new version is refused, the last good one stays).
Settings come from the environment: NATS_URL, NATS_USER, NATS_PASSWORD, NATS_CREDS_FILE,
REDIS_URL, CREDVEND_CONFIG (templates file) or CREDVEND_CONFIG_KV_BUCKET, CREDVEND_REPLY_KEY_ID,
AWS_REGION, and the AWS SDK's standard credential and endpoint variables. See the README for
every variable.`;

export async function workerCommand(argv: readonly string[]): Promise<number> {
  parse(argv, {});
  const settings = settingsFromEnv(processEnv());
  // A typo is not silently ignored: one warning line per unknown CREDVEND_* variable.
  for (const unknown of unknownSettings(processEnv())) process.stderr.write(`credvend worker: ${unknownSettingLine(unknown)}\n`);
  // Files, the config and the region are checked before any connection, each failure naming what to fix.
  let config: ConfigHolder | undefined;
  if (settings.configFile && !settings.configKvBucket) {
    requireFile(settings.configFile, "CREDVEND_CONFIG");
    config = ConfigHolder.fromFile(settings.configFile, { vendorUsesRoleCredentials: settings.vendorUsesRoleCredentials });
  }
  if (settings.natsCredsFile) requireFile(settings.natsCredsFile, "NATS_CREDS_FILE");
  await requireAwsRegion(settings.region, "STS and KMS calls are signed for a region");
  // Listening from the start: a SIGTERM that arrives while the worker connects (an orchestrator
  // scaling down) still ends in a clean stop and exit 0, not death by signal.
  // Started by npm (`npx credvend worker`), it also stops when npm ends (see stop-signal.ts).
  const stop = stopSignal();
  // SIGHUP's default action kills the process, and the worker announces "ready" inside runWorker:
  // the handler must exist before start-up, or an early reload request would end the worker.
  let reload: () => void = () => undefined;
  process.on("SIGHUP", () => reload());
  let vendor: RunningWorker;
  try {
    vendor = await runWorker(settings, { ...(config ? { config } : {}), http: true });
  } catch (error) {
    stop.dispose();
    throw error;
  }
  reload = () => vendor.reload();
  const reason = await stop.requested;
  if (reason === "parent-exited") vendor.log.info("npm, which started this worker, has exited");
  vendor.log.info("draining");
  await vendor.stop();
  return 0;
}
