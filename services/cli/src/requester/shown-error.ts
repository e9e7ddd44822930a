// The text of a renewal failure, where a long-running requester (exec, serve) shows it: on stderr
// and in the endpoint's 503 body. Such a failure is not reported through failures.ts, which
// redacts URLs, so this does the same: a connection error names NATS_URL, which may hold a
// password (nats://user:pass@host) or a token (nats://token@host).
import { redactUrls } from "@credvend/protocol";

export function shownError(error: unknown): string {
  return redactUrls(error instanceof Error ? error.message : String(error));
}
