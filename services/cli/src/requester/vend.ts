// The cold path: one request over NATS with the client SDK, and, beside it, a copy of the sealed
// reply the client accepted, for the cache. The copy comes from a second subscription to the
// request's own reply subject; the one whose clear fields match what the client verified is kept
// (the warm path verifies it again in full before it is used, so a look-alike costs only a miss).
import type { KMSClient } from "@aws-sdk/client-kms";
import type { VendedCredentials } from "@credvend/client";
import { randomUUID } from "node:crypto";
import { openingOptions, type Requester, type VendSpec } from "./spec.js";

export interface Vended {
  readonly credentials: VendedCredentials;
  /** The sealed CredentialReply the credentials came from (undefined if no copy matched). */
  readonly reply: Uint8Array | undefined;
}

/** Messages kept per request; more are dropped (a flood on the subject must not grow memory). */
const MAX_COPIES = 16;

/** `kms`: the requester's own identity, for KMS-sealed replies; none for a sealed requester. `requestId`: default a fresh UUID. */
export async function vendWithReply(spec: VendSpec, who: Requester, kms: KMSClient | undefined, requestId: string = randomUUID()): Promise<Vended> {
  const [{ CredvendClient }, { screenReply }, { readReply, replySubject }, { connectNats, permissionDeniedSignal }] = await Promise.all([
    import("@credvend/client"), import("@credvend/client/reply"), import("@credvend/protocol"), import("../connect.js"),
  ]);
  const nc = await connectNats(who.env, `credvend-cli:${who.tenant}.${who.principal}`);
  // A NATS permission refusal ends the request at once, as it does for `credvend request`.
  const denied = permissionDeniedSignal(nc);
  try {
    const copies: Uint8Array[] = [];
    const sub = nc.subscribe(replySubject(who.tenant, who.principal, requestId), {
      // Screened as they arrive, so junk and replies to other requests ahead of the worker's
      // never take the places of the genuine copy (which would only cost a cache miss).
      callback: (error, msg) => {
        if (!error && copies.length < MAX_COPIES && screenReply(msg.data, requestId).kind === "candidate") copies.push(msg.data);
      },
    });
    try {
      const client = new CredvendClient({ nc, tenant: who.tenant, principal: who.principal, ...openingOptions(who, kms), ...(spec.timeoutMs ? { timeoutMs: spec.timeoutMs } : {}) });
      const credentials = await client.request({
        template: spec.template,
        params: spec.params,
        requestId,
        signal: denied,
        ...(spec.durationSeconds ? { durationSeconds: spec.durationSeconds } : {}),
        ...(spec.onBehalfOf ? { onBehalfOf: spec.onBehalfOf } : {}),
      });
      const reply = copies.find((bytes) => {
        try {
          const view = readReply(bytes);
          return view.kind === "credentials" && view.requestId === requestId && view.envelope.accessKeyId === credentials.accessKeyId && view.envelope.expirationMs === credentials.expiration.getTime();
        } catch {
          return false;
        }
      });
      return { credentials, reply };
    } finally {
      sub.unsubscribe();
    }
  } finally {
    await nc.close();
  }
}
