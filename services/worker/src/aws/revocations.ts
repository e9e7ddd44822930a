// The revocations this worker has heard of (`credvend revoke` notices), so its reuse cache never
// hands out a session IAM now denies: not the ones cached before the notice (purged), and not the
// ones an STS call in flight at the notice returns (refused on use). Bounded: a notice matters
// only while a session issued before it may live (12 hours), one per scope is kept, and past the
// bound (or when a notice may have been missed) a floor revokes everything issued before it.
import { revokes, type RevocationNotice } from "@credvend/protocol";

/** The longest a role session lives: older notices revoke nothing still alive. */
const MAX_SESSION_MS = 43_200_000;

export interface SessionScope {
  readonly template: string;
  readonly tenant: string;
  readonly principal: string;
}

export class Revocations {
  private readonly notices = new Map<string, RevocationNotice>();
  /** Every session issued before this is treated as revoked. */
  private floorMs = 0;

  constructor(private readonly options: { readonly maxEntries: number; readonly now: () => number }) {}

  /** Records a notice; a later one for the same scope replaces it only when it reaches further. */
  add(notice: RevocationNotice): void {
    const scope = JSON.stringify([notice.template, notice.tenant ?? null, notice.principal ?? null]);
    const previous = this.notices.get(scope);
    if (previous && previous.beforeMs >= notice.beforeMs) return;
    this.notices.set(scope, notice);
    const oldest = this.options.now() - MAX_SESSION_MS;
    for (const [key, n] of this.notices) if (n.beforeMs < oldest) this.notices.delete(key);
    if (this.notices.size > this.options.maxEntries) this.revokeAllBefore(Math.max(...[...this.notices.values()].map((n) => n.beforeMs)));
  }

  /** Revokes every session issued before `ms`: for when notices could not be kept, or were missed. */
  revokeAllBefore(ms: number): void {
    this.floorMs = Math.max(this.floorMs, ms);
    for (const [key, n] of this.notices) if (n.beforeMs <= this.floorMs) this.notices.delete(key);
  }

  /** Whether a session of this scope, issued at `issuedAtMs`, is revoked. */
  covers(session: SessionScope & { readonly issuedAtMs: number }): boolean {
    if (session.issuedAtMs < this.floorMs) return true;
    for (const notice of this.notices.values()) if (revokes(notice, session)) return true;
    return false;
  }
}
