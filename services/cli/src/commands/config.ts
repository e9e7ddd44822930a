import { CONFIG_KV_BUCKET, CONFIG_KV_KEY, isMissingBucket, openConfigBucket } from "@credvend/worker";
import { parseConfig } from "@credvend/policy";
import { readFileSync } from "node:fs";
import { CliFailure, parse, requireFile, UsageError } from "../args.js";
import { requesterEnv } from "../cli-env.js";
import { connectNats } from "../connect.js";
import { shownNatsUrl } from "../nats-failure.js";
import { ConfigInvalid } from "../problems.js";

export const CONFIG_USAGE = `usage:
  credvend config push FILE [--bucket B] [--role-credentials]
      validate FILE, then write it to NATS KV (workers swap to it)
  credvend config show [--bucket B]
      print the live config and its revision
NATS_URL, NATS_USER and NATS_PASSWORD select the server (JetStream enabled). push needs an
operator user that may manage the bucket ($JS.API.> and $KV.<bucket>.>); the worker's user that
nats-config generates may only read it. The default bucket is ${CONFIG_KV_BUCKET}.`;

export async function configCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "push" && sub !== "show") {
    throw new UsageError(sub ? `unknown subcommand '${sub}'; use push or show` : "config needs a subcommand: push or show");
  }
  const { values, positionals } = parse(rest, { bucket: { type: "string" }, "role-credentials": { type: "boolean", default: false } }, sub === "push" ? 1 : 0);
  const bucket = values.bucket ?? CONFIG_KV_BUCKET;
  let text: string | undefined;
  if (sub === "push") {
    const file = positionals[0];
    if (!file) throw new UsageError("config push needs a FILE");
    text = readFileSync(requireFile(file, "config file"), "utf8");
    const result = parseConfig(text, { source: file, vendorUsesRoleCredentials: values["role-credentials"] ?? false });
    if (!result.ok) throw new ConfigInvalid(file, result.problems, "; refused, nothing was written");
  }
  const env = requesterEnv();
  const nc = await connectNats(env, "credvend-config");
  try {
    const kv = await openConfigBucket(nc, bucket, { create: text !== undefined }).catch((error: unknown) => {
      // A server without JetStream answers the KV API with "no responders".
      if ((error as { code?: unknown }).code === "503") throw new CliFailure(`NATS at ${shownNatsUrl(env)} has no JetStream: start nats-server with -js`);
      throw error;
    });
    if (text !== undefined) {
      const revision = await kv.put(CONFIG_KV_KEY, text);
      out(`pushed to ${bucket}/${CONFIG_KV_KEY} as revision ${revision}`);
      return 0;
    }
    const entry = await kv.get(CONFIG_KV_KEY).catch((error: unknown) => {
      if (isMissingBucket(error)) return null;
      throw error;
    });
    if (!entry || entry.operation !== "PUT") {
      process.stderr.write(`credvend config: ${bucket}/${CONFIG_KV_KEY} is empty; push a config with: credvend config push FILE\n`);
      return 1;
    }
    out(`# ${bucket}/${CONFIG_KV_KEY} revision ${entry.revision}, written ${entry.created.toISOString()}`);
    out(entry.string());
    return 0;
  } finally {
    await nc.close();
  }
}
