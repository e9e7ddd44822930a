// Problems found while loading or linting a config. Each names the exact path (in the config's
// own key names) so `templates lint` can print one actionable line per problem.

export interface Problem {
  severity: "error" | "warning";
  /** e.g. "templates.s3-tenant-read.policy.Statement[0].Action[1]" */
  path: string;
  /** Says what is wrong and what to change. */
  message: string;
  /** The template the problem is in, when there is one. */
  template?: string;
}

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** Formats a path as `a.b[0].c`; keys that are not plain identifiers are quoted: `tags["a b"]`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const seg of segments) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function problem(severity: Problem["severity"], segments: readonly PathSegment[], message: string): Problem {
  const p: Problem = { severity, path: formatPath(segments), message };
  if (segments[0] === "templates" && typeof segments[1] === "string") p.template = segments[1];
  return p;
}

/**
 * A short, log-safe rendering of a value for a message: JSON (so quotes and control characters are
 * escaped), non-ASCII escaped, truncated. Never use it on a secret.
 */
export function preview(value: unknown, max = 80): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  text = text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}

/**
 * One line per problem; a problem of the whole file (no path) is shown without an empty ": ", and a
 * YAML error without the trailing ":" that introduced its (dropped) code frame.
 */
export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `  ${p.severity}: ${p.path ? `${p.path}: ` : ""}${p.message.replace(/:$/, "")}`).join("\n");
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === "error");
}
