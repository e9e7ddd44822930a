import { test } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import type { KMSClient } from "@aws-sdk/client-kms";
import { CredvendError, decodeRequest, encodeErrorReply } from "@credvend/protocol";
import { ErrorCode, type NatsConnection } from "nats";
import { CredvendClient } from "./client.js";

interface Sent { readonly at: number; readonly payload: Uint8Array }

/** A fake NATS connection: each request answers with the next scripted outcome. */
function fakeNc(script: (attempt: number, payload: Uint8Array) => Promise<Uint8Array>): { nc: NatsConnection; sent: Sent[] } {
  const sent: Sent[] = [];
  const nc = {
    async request(_subject: string, payload: Uint8Array) {
      sent.push({ at: Date.now(), payload });
      return { data: await script(sent.length, payload) };
    },
  };
  return { nc: nc as unknown as NatsConnection, sent };
}
const timeout = (ms: number) => new Promise<never>((_r, reject) => setTimeout(() => reject(Object.assign(new Error("TIMEOUT"), { code: ErrorCode.Timeout })), ms));
const refusal = (payload: Uint8Array) => encodeErrorReply(decodeRequest(payload).requestId, new CredvendError("CV_ERR_TEMPLATE_NOT_FOUND", "no such template"), Date.now());
const kms = {} as KMSClient;

test("every attempt is sent before the request's own deadline (retries are not refused as late)", async () => {
  const { nc, sent } = fakeNc((attempt, payload) => (attempt < 3 ? timeout(100) : Promise.resolve(refusal(payload))));
  const client = new CredvendClient({ nc, tenant: "acme", principal: "demo-app", kms, timeoutMs: 100, attempts: 3 });
  await assert.rejects(client.request({ template: "t" }), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_TEMPLATE_NOT_FOUND");
  assert.equal(sent.length, 3);
  const ids = new Set(sent.map((s) => decodeRequest(s.payload).requestId));
  assert.equal(ids.size, 1, "one request id across attempts");
  assert.ok(sent.every((s) => Buffer.compare(Buffer.from(s.payload), Buffer.from(sent[0]?.payload ?? [])) === 0), "the same bytes on every attempt");
  for (const s of sent) {
    const deadline = Number(decodeRequest(s.payload).deadlineMs);
    assert.ok(deadline - s.at >= 100, `attempt sent ${s.at - (sent[0]?.at ?? 0)} ms in, with ${deadline - s.at} ms left before its deadline`);
  }
});

test("retry sleeps do not leave listeners on a long-lived AbortSignal", async () => {
  const { nc } = fakeNc((attempt, payload) => (attempt % 2 === 1 ? timeout(1) : Promise.resolve(refusal(payload))));
  const client = new CredvendClient({ nc, tenant: "acme", principal: "demo-app", kms, timeoutMs: 50, attempts: 2 });
  const shutdown = new AbortController();
  for (let i = 0; i < 5; i += 1) await assert.rejects(client.request({ template: "t", signal: shutdown.signal }));
  assert.equal(getEventListeners(shutdown.signal, "abort").length, 0);
});
