// Child processes of the bench: spawn with a stop-when-the-bench-dies watchdog, remember every one
// so a failure or Ctrl-C stops them all, read their RSS and CPU time from /proc.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const CLI = path.join(ROOT, "services/cli/bin/credvend.js");
const WATCHDOG = pathToFileURL(fileURLToPath(new URL("./watchdog.mjs", import.meta.url))).href;
const TAIL = 80;

/** Everything started (children and servers), stopped in reverse order by stopAll(). */
const stoppers = [];

export function registerStop(name, stop) {
  const entry = { name, stop };
  stoppers.push(entry);
  return () => {
    const i = stoppers.indexOf(entry);
    if (i >= 0) stoppers.splice(i, 1);
  };
}

/** Stops everything, newest first. `graceMs`: how long a child may drain before SIGKILL. */
export async function stopAll({ graceMs } = {}) {
  while (stoppers.length > 0) {
    const { name, stop } = stoppers.pop();
    try {
      await stop({ graceMs });
    } catch (err) {
      process.stderr.write(`bench: stopping ${name} failed: ${err?.message ?? err}\n`);
    }
  }
}

/**
 * Minimal environment for children: no inherited AWS_*, NATS_*, REDIS_* or CREDVEND_* variables,
 * so a developer's real AWS profile or session token can never reach a bench worker.
 */
export function cleanEnv(extra) {
  const base = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(AWS_|NATS_|REDIS_|CREDVEND_)/.test(k)) continue;
    base[k] = v;
  }
  return { ...base, AWS_EC2_METADATA_DISABLED: "true", AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null", ...extra };
}

/** Starts `node <args>` with the watchdog preloaded; output is kept (last lines) for error messages. */
export function spawnNode(name, args, { env, nodeArgs = [] } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, "--import", WATCHDOG, ...args], { cwd: ROOT, env: env ?? cleanEnv({}), stdio: ["pipe", "pipe", "pipe"] });
  const lines = [];
  const listeners = new Set();
  for (const stream of [child.stdout, child.stderr]) {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        if (lines.length > TAIL) lines.shift();
        for (const fn of listeners) fn(line);
      }
    });
  }
  let exitInfo;
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => resolve((exitInfo = { code, signal })));
    child.once("error", (err) => {
      lines.push(`spawn failed: ${err.message}`);
      resolve((exitInfo = { code: null, signal: null }));
    });
  });
  const handle = {
    name,
    pid: child.pid,
    exited,
    get running() {
      return exitInfo === undefined;
    },
    tail: () => lines.join("\n"),
    onLine(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    /** SIGTERM (graceful drain), SIGKILL after `graceMs`. */
    async stop(graceMs = 10_000) {
      if (exitInfo === undefined) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
      child.stdin.destroy();
      unregister();
      return exitInfo;
    },
  };
  const unregister = registerStop(name, (opts) => handle.stop(opts?.graceMs));
  return handle;
}

/** Polls `probe` until it resolves truthy; fails early if `proc` exits, or after `timeoutMs`. */
export async function waitUntil(what, probe, { timeoutMs = 15_000, proc, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    if (proc && !proc.running) throw new Error(`${proc.name} exited while waiting for ${what}:\n${proc.tail()}`);
    try {
      const ok = await probe();
      if (ok) return ok;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ""}${proc ? `\n${proc.name} output:\n${proc.tail()}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// ---- /proc readings (Linux) ----

let clockTicks;
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** { rssKiB, hwmKiB } from /proc/<pid>/status, or undefined if the process is gone. */
export function memoryOf(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM") };
  } catch {
    return undefined;
  }
}

/** The node flags a process runs with (from /proc/<pid>/cmdline, before its script; preloaded modules left out), or undefined if it is gone. */
export function nodeFlagsOf(pid) {
  try {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    const flags = [];
    for (let i = 1; i < argv.length && argv[i].startsWith("-"); i++) {
      if (argv[i] === "--import" || argv[i] === "--require" || argv[i] === "-r") i++;
      else flags.push(argv[i]);
    }
    return flags;
  } catch {
    return undefined;
  }
}

function statOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const rest = stat.slice(close + 2).split(" ");
    // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { pid, comm, ppid: Number(rest[1]), cpuSeconds: (Number(rest[11]) + Number(rest[12])) / ticksPerSecond() };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user+system) used so far by a process, or NaN. */
export function cpuSecondsOf(pid) {
  return statOf(pid)?.cpuSeconds ?? NaN;
}

/** Descendant processes of this one (to find nats-server and redis-server behind their supervisors). */
export function descendants(root = process.pid) {
  const all = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = statOf(Number(name));
    if (s) all.push(s);
  }
  const out = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop();
    for (const s of all) {
      if (s.ppid === parent) {
        out.push(s);
        frontier.push(s.pid);
      }
    }
  }
  return out;
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat; NaN if unreadable. */
export function machineBusySeconds() {
  try {
    const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    return busy / ticksPerSecond();
  } catch {
    return NaN;
  }
}
