import { CONFIG_KV_BUCKET, CONFIG_KV_KEY, formatProblems, openConfigBucket } from "@credvend/vendor";
import { parseConfig } from "@credvend/policy";
import { connect } from "nats";
import { readFileSync } from "node:fs";
import { parse, UsageError } from "../args.js";
import { requesterEnv } from "../cli-env.js";

export const CONFIG_USAGE = `usage:
  credvend config push FILE [--bucket B]   validate FILE, then write it to NATS KV (workers swap to it)
  credvend config show [--bucket B]        print the live config and its revision
NATS_URL, NATS_USER and NATS_PASSWORD select the server. The default bucket is ${CONFIG_KV_BUCKET}.`;

export async function configCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "push" && sub !== "show") throw new UsageError(CONFIG_USAGE);
  const { values, positionals } = parse(rest, { bucket: { type: "string" }, "role-credentials": { type: "boolean", default: false } }, CONFIG_USAGE);
  const bucket = values.bucket ?? CONFIG_KV_BUCKET;
  let text: string | undefined;
  if (sub === "push") {
    const file = positionals[0];
    if (!file) throw new UsageError(`config push needs a FILE\n\n${CONFIG_USAGE}`);
    text = readFileSync(file, "utf8");
    const result = parseConfig(text, { source: file, vendorUsesRoleCredentials: values["role-credentials"] ?? false });
    if (!result.ok) {
      out(`${file}: refused, nothing was written:`);
      out(formatProblems(result.problems));
      return 1;
    }
  }
  const env = requesterEnv();
  const nc = await connect({ servers: env.natsUrl.split(","), name: "credvend-config", ...(env.natsUser ? { user: env.natsUser, pass: env.natsPassword ?? "" } : {}) });
  try {
    const kv = await openConfigBucket(nc, bucket);
    if (text !== undefined) {
      const revision = await kv.put(CONFIG_KV_KEY, text);
      out(`pushed to ${bucket}/${CONFIG_KV_KEY} as revision ${revision}`);
      return 0;
    }
    const entry = await kv.get(CONFIG_KV_KEY);
    if (!entry || entry.operation !== "PUT") {
      out(`${bucket}/${CONFIG_KV_KEY} is empty; push a config with: credvend config push FILE`);
      return 1;
    }
    out(`# ${bucket}/${CONFIG_KV_KEY} revision ${entry.revision}, written ${entry.created.toISOString()}`);
    out(entry.string());
    return 0;
  } finally {
    await nc.close();
  }
}
