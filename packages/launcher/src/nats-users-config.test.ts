import assert from "node:assert/strict";
import { test } from "node:test";
import { connect, ErrorCode, type NatsConnection, type NatsError } from "nats";
import { startNatsServer } from "./nats-server.js";
import { natsUsersConfig } from "./nats-users-config.js";

function isNatsError(err: unknown): err is NatsError {
  return err instanceof Error && "code" in err;
}

test("nats-server with a users config enforces publish and subscribe grants", async () => {
  const config = natsUsersConfig([
    { user: "alice", password: 'pa"ss\\word', publish: ["credvend.v1.req.acme.alice"], subscribe: ["_INBOX_alice.>"] },
    { user: "worker", password: "w", publish: [], subscribe: ["credvend.v1.req.>"], allowResponses: true },
  ]);
  const server = await startNatsServer({ config, jetstream: false });
  try {
    const worker = await connect({ servers: server.url, user: "worker", pass: "w" });
    worker.subscribe("credvend.v1.req.>", { callback: (_err, msg) => msg.respond(new TextEncoder().encode("ok")) });
    await worker.flush();

    const alice = await connect({ servers: server.url, user: "alice", pass: 'pa"ss\\word', inboxPrefix: "_INBOX_alice" });
    try {
      const reply = await alice.request("credvend.v1.req.acme.alice", new Uint8Array(), { timeout: 2000 });
      assert.equal(new TextDecoder().decode(reply.data), "ok", "the granted request and the worker's response pass");

      const violations = watchViolations(alice);
      alice.publish("credvend.v1.req.other.bob", new Uint8Array());
      await alice.flush();
      await waitFor(() => violations.length > 0);
      // The nats 2.29 client reports a refused publish as an "error" status with the server's context.
      assert.deepEqual(violations[0], { operation: "publish", subject: "credvend.v1.req.other.bob" });
    } finally {
      await alice.close();
      await worker.close();
    }

    await assert.rejects(connect({ servers: server.url, user: "alice", pass: "wrong" }), (err: unknown) => {
      assert.ok(isNatsError(err));
      assert.equal(err.code, ErrorCode.AuthorizationViolation);
      return true;
    });
  } finally {
    await server.stop();
  }
});

test("an empty grant denies everything; reload() applies new permissions", async () => {
  const server = await startNatsServer({ jetstream: false, config: natsUsersConfig([{ user: "u", password: "p", publish: [] }]) });
  try {
    const nc = await connect({ servers: server.url, user: "u", pass: "p" });
    const violations = watchViolations(nc);
    nc.publish("anything", new Uint8Array());
    await nc.flush();
    await waitFor(() => violations.some((v) => v.operation === "publish" && v.subject === "anything"));
    await nc.close();

    await server.reload(natsUsersConfig([{ user: "u", password: "p", publish: ["anything"] }]));
    const again = await connect({ servers: server.url, user: "u", pass: "p" });
    const sub = again.subscribe("anything", { max: 1 });
    again.publish("anything", new Uint8Array([1]));
    for await (const msg of sub) assert.deepEqual([...msg.data], [1]);
    await again.close();
  } finally {
    await server.stop();
  }
});

test("natsUsersConfig refuses what it cannot spell safely", () => {
  assert.throws(() => natsUsersConfig([{ user: "a", password: "x\ny" }]), RangeError);
  assert.throws(() => natsUsersConfig([{ user: "a", password: "x", publish: ["a b"] }]), RangeError);
  assert.throws(() => natsUsersConfig([{ user: "a", password: "x" }, { user: "a", password: "y" }]), RangeError);
});

interface Violation {
  operation: string;
  subject: string;
}

function watchViolations(nc: NatsConnection): Violation[] {
  const seen: Violation[] = [];
  void (async () => {
    for await (const status of nc.status()) {
      if (status.data === ErrorCode.PermissionsViolation && status.permissionContext) {
        seen.push({ operation: status.permissionContext.operation, subject: status.permissionContext.subject });
      }
    }
  })();
  return seen;
}

async function waitFor(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
