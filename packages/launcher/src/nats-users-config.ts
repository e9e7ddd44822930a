/** One static nats-server user. Subjects are nats-server subjects (wildcards allowed). */
export interface NatsUser {
  user: string;
  password: string;
  /** Subjects the user may publish to. Omitted: no restriction. Empty: none at all. */
  publish?: readonly string[];
  /** Subjects the user may subscribe to. Omitted: no restriction. Empty: none at all. */
  subscribe?: readonly string[];
  /** Let the user answer requests it received (true = one reply within 2 minutes, server default). */
  allowResponses?: boolean | { max: number; expires: string };
}

/**
 * An `authorization { users = [...] }` block for nats-server. Generic: the credvend-specific
 * generator (tenants, principals, workers) lives in @credvend/policy.
 */
export function natsUsersConfig(users: readonly NatsUser[]): string {
  const seen = new Set<string>();
  const lines = users.map((u) => {
    if (u.user === "") throw new RangeError("natsUsersConfig: empty user name");
    if (seen.has(u.user)) throw new RangeError(`natsUsersConfig: user ${JSON.stringify(u.user)} appears twice`);
    seen.add(u.user);
    const permissions: string[] = [];
    if (u.publish !== undefined) permissions.push(`publish: ${grant(u.publish)}`);
    if (u.subscribe !== undefined) permissions.push(`subscribe: ${grant(u.subscribe)}`);
    if (u.allowResponses !== undefined && u.allowResponses !== false) {
      permissions.push(
        u.allowResponses === true
          ? "allow_responses: true"
          : `allow_responses: { max: ${Math.trunc(u.allowResponses.max)}, expires: ${quote(u.allowResponses.expires)} }`,
      );
    }
    const perms = permissions.length === 0 ? "" : `, permissions: { ${permissions.join(", ")} }`;
    return `    { user: ${quote(u.user)}, password: ${quote(u.password)}${perms} }`;
  });
  return `authorization {\n  users = [\n${lines.join("\n")}\n  ]\n}\n`;
}

function grant(subjects: readonly string[]): string {
  for (const s of subjects) {
    if (s === "" || /\s/.test(s)) throw new RangeError(`natsUsersConfig: invalid subject ${JSON.stringify(s)}`);
  }
  // An empty allow list means "no restriction" to nats-server, so "nothing" must be a deny-all.
  return subjects.length === 0 ? `{ deny: [">"] }` : `{ allow: [${subjects.map(quote).join(", ")}] }`;
}

// nats-server's config lexer accepts JSON-style double-quoted strings with \" and \\ escapes;
// control characters have no safe spelling, so they are refused.
function quote(value: string): string {
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new RangeError("natsUsersConfig: control characters are not allowed");
  return JSON.stringify(value);
}
