// Every credential STS issued, by access key id. Bounded: sessions expired for longer than the
// grace period are swept, and past `maxSessions` the oldest are dropped (a long benchmark must
// not grow memory without limit). Expired sessions are kept for a while so a late caller gets
// ExpiredToken rather than "unknown key".
import { timingSafeEqual } from "node:crypto";
import type { CallerIdentity, Clock, PolicyDocument } from "../types.js";

export type SessionKind = "assumed-role" | "session-token" | "federation";

export interface IssuedSession {
  readonly kind: SessionKind;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** The identity a later request signed with these credentials acts as. */
  readonly identity: CallerIdentity;
  /** ARN of the caller that asked STS for these credentials. */
  readonly issuedTo: string;
  readonly roleArn?: string;
  readonly roleSessionName?: string;
  readonly federatedUserName?: string;
  readonly sessionPolicy?: PolicyDocument;
  readonly policyArns: readonly string[];
  /** Session tags passed in this call. */
  readonly sessionTags: Readonly<Record<string, string>>;
  /** Tags this session carries on into a role chain (its own transitive tags plus inherited ones). */
  readonly transitiveTags: Readonly<Record<string, string>>;
  readonly transitiveTagKeys: readonly string[];
  readonly sourceIdentity?: string;
  readonly mfaPresent: boolean;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  readonly packedPolicySize?: number;
}

/** The admin path's view of a session: everything but the secret and the token. */
export type SessionView = Omit<IssuedSession, "secretAccessKey" | "sessionToken" | "identity"> & {
  readonly arn: string;
  readonly userId: string;
  readonly principalTags: Readonly<Record<string, string>>;
  /** The federation keys the session's later calls carry (CallerIdentity.federationKeys), if any. */
  readonly federationKeys?: Readonly<Record<string, string>>;
  readonly expired: boolean;
};

export interface SessionStore {
  add(session: IssuedSession): void;
  get(accessKeyId: string): IssuedSession | undefined;
  /** True when `token` is the one issued with the key (constant-time compare). */
  tokenMatches(session: IssuedSession, token: string | undefined): boolean;
  view(accessKeyId: string): SessionView | undefined;
  clear(): void;
  readonly size: number;
}

export const DEFAULT_MAX_SESSIONS = 50_000;
const EXPIRED_GRACE_MS = 24 * 3600_000;
const SWEEP_EVERY = 1024;

/** Observers of the store's housekeeping, so a test can prove its cost without a clock. */
export interface SessionStoreHooks {
  /** Called after each eviction pass with how many entries it examined. */
  readonly onScan?: (entriesExamined: number) => void;
}

export function createSessionStore(clock: Clock, maxSessions = DEFAULT_MAX_SESSIONS, hooks: SessionStoreHooks = {}): SessionStore {
  const sessions = new Map<string, IssuedSession>();
  let addsSinceSweep = 0;

  function sweep(): void {
    const cutoff = clock.now() - EXPIRED_GRACE_MS;
    let examined = 0;
    for (const [id, s] of sessions) {
      examined += 1;
      if (s.expiresAtMs < cutoff) sessions.delete(id);
    }
    // Map iteration order is insertion order: the first entries are the oldest.
    for (const id of sessions.keys()) {
      if (sessions.size <= maxSessions) break;
      examined += 1;
      sessions.delete(id);
    }
    hooks.onScan?.(examined);
  }

  return {
    add(session) {
      sessions.set(session.accessKeyId, session);
      if (++addsSinceSweep >= SWEEP_EVERY) {
        addsSinceSweep = 0;
        sweep();
      } else if (sessions.size > maxSessions) {
        // Over the cap between sweeps: drop just the oldest. (Running the full sweep here walked
        // the whole map on every add once the store was full: ~0.5 ms per AssumeRole at 50,000.)
        const oldest = sessions.keys().next();
        if (oldest.done !== true) sessions.delete(oldest.value);
        hooks.onScan?.(1);
      }
    },
    get: (id) => sessions.get(id),
    tokenMatches(session, token) {
      if (token === undefined) return false;
      const a = Buffer.from(session.sessionToken);
      const b = Buffer.from(token);
      return a.length === b.length && timingSafeEqual(a, b);
    },
    view(id) {
      const s = sessions.get(id);
      if (s === undefined) return undefined;
      const { secretAccessKey: _secret, sessionToken: _token, identity, ...rest } = s;
      return {
        ...rest,
        arn: identity.arn,
        userId: identity.userId,
        principalTags: identity.principalTags,
        ...(identity.federationKeys === undefined ? {} : { federationKeys: identity.federationKeys }),
        expired: s.expiresAtMs <= clock.now(),
      };
    },
    clear: () => sessions.clear(),
    get size() {
      return sessions.size;
    },
  };
}
