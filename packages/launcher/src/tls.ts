// A throw-away TLS setup for a local nats-server: a self-signed CA and a server certificate for
// 127.0.0.1/localhost signed by it, made with the openssl command (node:crypto makes keys, not
// X.509 certificates). Clients trust the CA file; nothing here is meant for production.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { findBinary } from "./binary.js";

export interface DevTlsFiles {
  /** The CA certificate clients trust (e.g. NODE_EXTRA_CA_CERTS, or nats.js `tls: { caFile }`). */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** Writes ca.pem, server.pem and server.key (mode 0600) into `dir`; valid for one day. */
export function writeDevTls(dir: string): DevTlsFiles {
  const openssl = findBinary("openssl");
  const file = (name: string) => path.join(dir, name);
  const run = (args: readonly string[]): void => {
    execFileSync(openssl, args, { stdio: ["ignore", "ignore", "pipe"] });
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  run(["req", "-x509", ...ec, "-keyout", file("ca.key"), "-out", file("ca.pem"), "-days", "1", "-subj", "/CN=credvend dev CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  run(["req", ...ec, "-keyout", file("server.key"), "-out", file("server.csr"), "-subj", "/CN=localhost"]);
  fs.writeFileSync(file("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
  run(["x509", "-req", "-in", file("server.csr"), "-CA", file("ca.pem"), "-CAkey", file("ca.key"), "-CAcreateserial",
    "-out", file("server.pem"), "-days", "1", "-extfile", file("server.ext")]);
  // The CA key is not needed again: nobody can sign another certificate with this CA.
  fs.rmSync(file("ca.key"));
  for (const key of ["server.key"]) fs.chmodSync(file(key), 0o600);
  return { caFile: file("ca.pem"), certFile: file("server.pem"), keyFile: file("server.key") };
}
