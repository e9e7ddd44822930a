// Who may use the admin path. It can reset the emulator, move its clock (reviving expired
// credentials) and read what was issued, so three checks run before any route:
//   1. no Origin header: browsers send one on cross-origin requests; local tools never do;
//   2. a loopback Host header (localhost, 127.x.x.x, [::1]): a DNS-rebinding page reaches
//      127.0.0.1 under its own host name, which fails this;
//   3. the admin token generated at start (x-aws-local-admin-token), compared in constant time.
// /_aws-local/health needs only 1 and 2, so probes and start-up waits work without the token.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const ADMIN_TOKEN_HEADER = "x-aws-local-admin-token";
/** Shortest admin token accepted from the `adminToken` option. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])(:\d{1,5})?$/i;

export function newAdminToken(): string {
  return randomBytes(32).toString("base64url");
}

export function isLoopbackHostHeader(host: string | undefined): boolean {
  return host !== undefined && LOOPBACK_HOST.test(host);
}

/** True for bind addresses that only this machine can reach. */
export function isLoopbackBindAddress(address: string): boolean {
  return address === "localhost" || address === "::1" || /^127(\.\d{1,3}){3}$/.test(address);
}

export type AdminRefusal = { readonly status: 401 | 403; readonly message: string } | undefined;

export function createAdminGuard(token: string): (headers: Readonly<Record<string, string>>, needsToken: boolean) => AdminRefusal {
  const expected = createHash("sha256").update(token).digest();
  return (headers, needsToken) => {
    if (headers["origin"] !== undefined) return { status: 403, message: "the aws-local admin path does not accept browser (cross-origin) requests" };
    if (!isLoopbackHostHeader(headers["host"])) {
      return { status: 403, message: "the aws-local admin path answers only a loopback Host header (localhost, 127.0.0.1, [::1])" };
    }
    if (!needsToken) return undefined;
    const given = headers[ADMIN_TOKEN_HEADER];
    const ok = given !== undefined && timingSafeEqual(createHash("sha256").update(given).digest(), expected);
    return ok ? undefined : { status: 401, message: `the aws-local admin path needs the admin token of this start in the ${ADMIN_TOKEN_HEADER} header` };
  };
}
