// A trivial NATS responder for the transport baseline: echoes every request on its subject.
// Usage: node bench/nats-responder.mjs <nats-url> <subject>
import { connect } from "nats";

const [url, subject] = process.argv.slice(2);
if (!url || !subject) {
  process.stderr.write("usage: nats-responder.mjs <nats-url> <subject>\n");
  process.exit(2);
}
const nc = await connect({ servers: url, name: "credvend-bench-responder" });
nc.subscribe(subject, { callback: (_err, msg) => msg.respond(msg.data) });
await nc.flush();
process.stdout.write("responder ready\n");
const stop = async () => {
  await nc.drain().catch(() => undefined);
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
