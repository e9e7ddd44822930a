// Secrets inside URLs (nats://user:pass@host, redis://:pass@host, nats://token@host) never reach an
// error line or a log. One home for the rule: the CLI's failure lines, the worker's settings and
// start-up errors, and the dev stack's output use it.

// scheme://userinfo@ — userinfo runs to the LAST '@' before a space, comma (NATS_URL lists servers
// with commas), or quote, so an unencoded '@' or '/' in a password is still covered. Redacting a
// little too much (an '@' in a path) is the safe side.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s,"'<>]*)@/gi;

/** Every URL in `text` with its password (or, without a user:password pair, its token) replaced by ***. */
export function redactUrls(text: string): string {
  return text.replace(URL_USERINFO, (_match, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(":");
    return `${scheme}${colon >= 0 ? `${userinfo.slice(0, colon)}:***` : "***"}@`;
  });
}

/** A URL to show (a log line, an error): its password, if any, replaced. */
export function redactUrl(url: string): string {
  return redactUrls(url);
}

/** Every URL in `text` without its userinfo (user, password or token): for a URL handed on, not shown. */
export function withoutUrlUserinfo(text: string): string {
  return text.replace(URL_USERINFO, "$1");
}
