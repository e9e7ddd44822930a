// Sends hand-made payloads on a requester's subject and reads the vendor's reply, for tests of
// what the client SDK would never send.
import { encodeRequest, readReply, REPLY_PREFIX, requestSubject, type CredentialRequestInit, type ReplyView } from "@credvend/protocol";
import { uniqueRequestId } from "@credvend/testkit";
import type { NatsConnection } from "nats";

export async function sendRaw(nc: NatsConnection, tenant: string, principal: string, payload: Uint8Array, replyToken = uniqueRequestId()): Promise<ReplyView> {
  const msg = await nc.request(requestSubject(tenant, principal), payload, { timeout: 5000, noMux: true, reply: `${REPLY_PREFIX}.${tenant}.${principal}.${replyToken}` });
  return readReply(msg.data);
}

/** Encodes a request (defaults: the demo template, a fresh id, now) and sends it on its own reply subject. */
export function sendRequest(nc: NatsConnection, tenant: string, principal: string, overrides: CredentialRequestInit = {}): Promise<ReplyView> {
  const requestId = overrides.requestId ?? uniqueRequestId();
  const payload = encodeRequest({
    template: "s3-tenant-read",
    params: { bucket: "acme-data" },
    clientTimeMs: Date.now(),
    ...overrides,
    requestId,
  });
  return sendRaw(nc, tenant, principal, payload, requestId);
}
