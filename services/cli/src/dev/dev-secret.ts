// The dev stack's one secret, kept per user so that its passwords stay the same from run to run
// (an AWS profile or a shell script written against one `credvend dev` keeps working against the
// next). DEV-ONLY: it protects a stack on this machine from other local users, nothing more.
// Every password is derived from it by HMAC, so no password is stored anywhere.
import { createHmac, randomBytes } from "node:crypto";
import { chmodSync, closeSync, copyFileSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { CliFailure } from "../args.js";

export interface DevState {
  /** $XDG_STATE_HOME/credvend (default ~/.local/state/credvend), mode 0700. */
  readonly dir: string;
  /** The secret file, mode 0600, made once. */
  readonly secretFile: string;
  /** A password for `label` (a NATS user, "redis"): the same on every run of this user. */
  password(label: string): string;
  /** Copies the run's NATS CA here, so NODE_EXTRA_CA_CERTS can name one path across runs. */
  keepCaFile(caFile: string): string;
  /**
   * The fleet's sealing key (X25519, PKCS#8 PEM) for sealed replies, derived like the passwords,
   * so a requester's pinned public key stays valid across runs.
   */
  sealingKeyPem(): string;
}

/** The fixed DER prefix of a PKCS#8 X25519 private key (RFC 8410); the 32 raw key bytes follow. */
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

export function devStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(env.HOME || homedir(), ".local", "state");
  return path.join(base, "credvend");
}

/** Creates the secret file on first use (O_EXCL, so two first runs agree on one secret). */
function readOrCreateSecret(file: string): Buffer {
  try {
    const fd = openSync(file, "wx", 0o600);
    try {
      writeSync(fd, `${randomBytes(32).toString("base64url")}\n`);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw new CliFailure(`cannot create the dev secret ${file}: ${(error as Error).message}`);
  }
  const st = statSync(file);
  // Readable by others, it would let any local user into the dev stack's NATS and Redis.
  if ((st.mode & 0o077) !== 0) throw new CliFailure(`the dev secret ${file} is readable by other users (mode ${(st.mode & 0o777).toString(8)}): run chmod 600 ${file}`);
  if (typeof process.getuid === "function" && st.uid !== process.getuid()) throw new CliFailure(`the dev secret ${file} belongs to another user: remove it, a new one is made`);
  const secret = readFileSync(file, "utf8").trim();
  if (secret.length < 32) throw new CliFailure(`the dev secret ${file} is too short: remove it, a new one is made`);
  return Buffer.from(secret);
}

export function devState(env: NodeJS.ProcessEnv = process.env): DevState {
  const dir = devStateDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const secretFile = path.join(dir, "dev-secret");
  const secret = readOrCreateSecret(secretFile);
  return {
    dir,
    secretFile,
    password: (label) => createHmac("sha256", secret).update(`credvend dev password:${label}`).digest("base64url").slice(0, 32),
    sealingKeyPem() {
      const raw = createHmac("sha256", secret).update("credvend dev sealing key").digest();
      const der = Buffer.concat([X25519_PKCS8_PREFIX, raw]);
      return `-----BEGIN PRIVATE KEY-----\n${der.toString("base64")}\n-----END PRIVATE KEY-----\n`;
    },
    keepCaFile(caFile) {
      const kept = path.join(dir, "dev-nats-ca.pem");
      copyFileSync(caFile, kept);
      return kept;
    },
  };
}
