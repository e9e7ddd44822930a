// The fleet peer key the tests' workers share (CREDVEND_PEER_KEY_FILE): one random file per test
// process, so every worker a test starts shares sessions and data keys as a real fleet does.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

let file: string | undefined;

export function testPeerKeyFile(): string {
  if (file === undefined) {
    const dir = mkdtempSync(path.join(tmpdir(), "credvend-peer-key-"));
    file = path.join(dir, "peer.key");
    writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return file;
}
