// Keeps the reuse cache in step with `credvend revoke`: every worker hears each notice (a plain
// subscription, no queue group), drops the sessions it covers and answers with how many, so the
// operator sees which workers applied it. A worker that was disconnected may have missed a
// notice: on every reconnect it forgets all it had cached (reuse only saves STS calls).
import { parseRevocation, REVOCATION_SUBJECT, type RevocationAck } from "@credvend/protocol";
import type { NatsConnection } from "nats";
import type { Logger } from "pino";
import type { CredentialReuse } from "./credential-reuse.js";

export function followRevocations(nc: NatsConnection, reuse: CredentialReuse, workerId: () => string, log: Logger): { stop(): void } {
  const sub = nc.subscribe(REVOCATION_SUBJECT, {
    callback: (err, msg) => {
      if (err) {
        log.error({ err: err.message }, "revocation subscription failed");
        return;
      }
      try {
        const notice = parseRevocation(msg.data);
        const dropped = reuse.revoke(notice);
        log.info({ template: notice.template, tenant: notice.tenant, principal: notice.principal, before: new Date(notice.beforeMs).toISOString(), dropped }, "revocation applied");
        const ack: RevocationAck = { worker: workerId(), dropped };
        if (msg.reply) msg.respond(new TextEncoder().encode(JSON.stringify(ack)));
      } catch (error) {
        log.warn({ err: error instanceof Error ? error.message : String(error) }, "revocation notice refused");
      }
    },
  });
  let stopped = false;
  void (async () => {
    for await (const status of nc.status()) {
      if (stopped) break;
      if (status.type === "reconnect") {
        const dropped = reuse.forgetAll();
        log.info({ dropped }, "reconnected to NATS: reused credentials forgotten (a revocation may have been missed)");
      }
    }
  })().catch(() => undefined);
  return {
    stop() {
      stopped = true;
      sub.unsubscribe();
    },
  };
}
