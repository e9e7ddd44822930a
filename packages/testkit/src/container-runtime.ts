import fs from "node:fs";
import os from "node:os";
import path from "node:path";

// Importing testcontainers costs ~0.6 s, so it is only imported when something suggests an engine
// could answer: an explicit setting or a socket file where testcontainers would look.
function engineHints(): boolean {
  const env = process.env;
  if (env["DOCKER_HOST"] || env["TESTCONTAINERS_HOST_OVERRIDE"] || env["TESTCONTAINERS_DOCKER_SOCKET_OVERRIDE"]) return true;
  if (process.platform === "win32") return true;
  const home = os.homedir();
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  const candidates = [
    path.join(home, ".testcontainers.properties"),
    "/var/run/docker.sock",
    path.join(home, ".docker", "run", "docker.sock"),
    path.join(home, ".docker", "desktop", "docker.sock"),
    env["XDG_RUNTIME_DIR"] ? path.join(env["XDG_RUNTIME_DIR"], "docker.sock") : "",
    uid === undefined ? "" : `/run/user/${uid}/docker.sock`,
  ];
  return candidates.some((file) => file !== "" && fs.existsSync(file));
}

let probe: Promise<boolean> | undefined;

/** True when testcontainers finds a working container engine. Cached; ~free when there is none. */
export function containerRuntimeAvailable(): Promise<boolean> {
  probe ??= (async () => {
    if (!engineHints()) return false;
    try {
      const { getContainerRuntimeClient } = await import("testcontainers");
      await getContainerRuntimeClient();
      return true;
    } catch {
      return false;
    }
  })();
  return probe;
}
