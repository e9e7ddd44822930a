// NATS tells a client that it may not publish somewhere only through the connection's status
// stream (the publish itself does not fail), so a requester whose user may not publish on its
// request subject would otherwise wait out every attempt and end with a retryable timeout. One
// watcher per connection, shared by every client on it, started at the first request.
import type { NatsConnection } from "nats";

export interface PermissionViolation {
  readonly operation: "publish" | "subscription";
  readonly subject: string;
}

type Listener = (violation: PermissionViolation) => void;

class PermissionWatch {
  private readonly listeners = new Set<Listener>();

  constructor(nc: NatsConnection) {
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type !== "error" || s.data !== "PERMISSIONS_VIOLATION") continue;
        const context = (s as { permissionContext?: { operation?: string; subject?: string } }).permissionContext;
        const violation: PermissionViolation = { operation: context?.operation === "publish" ? "publish" : "subscription", subject: context?.subject ?? "" };
        for (const listener of this.listeners) listener(violation);
      }
    })().catch(() => undefined);
  }

  /** Calls `listener` for every violation until the returned function is called. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const watches = new WeakMap<NatsConnection, PermissionWatch>();

export function permissionWatch(nc: NatsConnection): PermissionWatch {
  let watch = watches.get(nc);
  if (!watch) {
    watch = new PermissionWatch(nc);
    watches.set(nc, watch);
  }
  return watch;
}
