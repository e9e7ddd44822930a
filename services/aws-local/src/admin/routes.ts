// The admin/introspection path (/_aws-local/…): JSON for tests, tools and benchmarks, behind the
// admin guard (admin/guard.ts: loopback Host, no Origin, the per-start admin token). It exposes
// what was issued (never secrets or tokens), call counts, the emulated clock and fault injection.
import { validateFaultConfig } from "../core/faults.js";
import type { Reply } from "../core/http.js";
import type { IncomingCall, Runtime } from "../core/runtime.js";

export const ADMIN_PREFIX = "/_aws-local/";

const JSON_TYPE = "application/json";

function json(status: number, body: unknown): Reply {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(body) };
}

function problem(status: number, message: string): Reply {
  return json(status, { error: message });
}

export function resetRuntime(rt: Runtime): void {
  rt.sessions.clear();
  rt.counts.clear();
  rt.faults.clear();
  rt.clock.reset();
  rt.kms.reset();
  rt.iam.rolePolicies.reset();
  rt.sts.mfaReplay.clear();
}

export function clockState(rt: Runtime): { nowMs: number; now: string; offsetMs: number } {
  const nowMs = rt.clock.now();
  return { nowMs, now: new Date(nowMs).toISOString(), offsetMs: rt.clock.offsetMs };
}

export function handleAdmin(rt: Runtime, call: IncomingCall): Reply {
  const route = call.rawPath.slice(ADMIN_PREFIX.length).replace(/\/+$/, "");
  const method = call.method;
  const refusal = rt.adminGuard(call.headers, !(route === "health" && method === "GET"));
  if (refusal !== undefined) return problem(refusal.status, refusal.message);
  if (route === "health" && method === "GET") {
    return json(200, { status: "ok", emulator: "aws-local", accountId: rt.world.accountId, region: rt.region });
  }
  if (route.startsWith("sessions/") && method === "GET") {
    let id: string;
    try {
      id = decodeURIComponent(route.slice("sessions/".length));
    } catch {
      // A malformed escape threw out of the handler, and the connection was dropped with no reply.
      return problem(400, "the access key id in the path has malformed percent-encoding");
    }
    const view = rt.sessions.view(id);
    return view === undefined ? problem(404, `no session was issued with access key id ${id}`) : json(200, view);
  }
  if (route === "calls" && method === "GET") return json(200, rt.counts.snapshot());
  if (route === "reset" && method === "POST") {
    resetRuntime(rt);
    return json(200, { reset: true });
  }
  if (route === "clock") {
    if (method === "GET") return json(200, clockState(rt));
    if (method === "POST") return setClock(rt, call.body);
  }
  if (route === "faults") {
    if (method === "GET") return json(200, rt.faults.state());
    if (method === "POST") {
      const body = parseJson(call.body);
      if (body instanceof Error) return problem(400, body.message);
      try {
        rt.faults.set(validateFaultConfig(body));
      } catch (err) {
        return problem(400, (err as Error).message);
      }
      return json(200, rt.faults.state());
    }
  }
  return problem(
    404,
    `unknown admin route ${method} ${call.rawPath}; see services/aws-local/README.md (health, sessions/<id>, calls, reset, clock, faults)`,
  );
}

function setClock(rt: Runtime, raw: Buffer): Reply {
  const body = parseJson(raw);
  if (body instanceof Error) return problem(400, body.message);
  const b = body as Record<string, unknown>;
  if (typeof b["advanceSeconds"] === "number" && Number.isFinite(b["advanceSeconds"])) {
    rt.clock.advance(b["advanceSeconds"] * 1000);
  } else if (typeof b["nowMs"] === "number" && Number.isFinite(b["nowMs"])) {
    rt.clock.set(b["nowMs"]);
  } else if (b["reset"] === true) {
    rt.clock.reset();
  } else {
    return problem(400, 'clock body must be {"advanceSeconds": n}, {"nowMs": epochMs} or {"reset": true}');
  }
  return json(200, clockState(rt));
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return {};
  try {
    const value: unknown = JSON.parse(raw.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : new Error("body must be a JSON object");
  } catch {
    return new Error("body is not valid JSON");
  }
}
