// Reads a V8 .cpuprofile (written by `node --cpu-prof` at exit) into the frames with the most
// self time, and the share of busy time per package, for the report.
import fs from "node:fs";
import path from "node:path";

/** The newest .cpuprofile in `dir`, summarized; undefined if none was written. */
export function summarizeProfileDir(dir, top = 15) {
  let files = [];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  } catch {
    return undefined;
  }
  if (files.length === 0) return undefined;
  const newest = files.map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  return summarizeProfile(JSON.parse(fs.readFileSync(newest, "utf8")), top);
}

const IDLE = new Set(["(idle)", "(program)"]);

export function summarizeProfile(profile, top = 15) {
  const sampleMs = profile.samples.length > 0 ? (profile.endTime - profile.startTime) / 1000 / profile.samples.length : 0;
  const hits = new Map();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const frames = new Map();
  const packages = new Map();
  let busy = 0;
  let total = 0;
  for (const node of profile.nodes) {
    const n = hits.get(node.id) ?? 0;
    if (n === 0) continue;
    total += n;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName || "(anonymous)";
    if (IDLE.has(name)) continue;
    busy += n;
    const where = shortUrl(url);
    const key = `${name} ${where}${url ? `:${lineNumber + 1}` : ""}`;
    frames.set(key, (frames.get(key) ?? 0) + n);
    const pkg = packageOf(name, url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + n);
  }
  const share = (n) => (busy === 0 ? 0 : n / busy);
  const sorted = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    sampleMs,
    busyMs: busy * sampleMs,
    busyShareOfWall: total === 0 ? 0 : busy / total,
    topFrames: sorted(frames).slice(0, top).map(([frame, n]) => ({ frame, selfMs: n * sampleMs, share: share(n) })),
    byPackage: sorted(packages).slice(0, top).map(([pkg, n]) => ({ package: pkg, selfMs: n * sampleMs, share: share(n) })),
  };
}

function shortUrl(url) {
  if (!url) return "(native)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) return url.slice(nm + "node_modules/".length);
  const ws = /\/(packages|services)\/(.*)$/.exec(url);
  return ws ? `${ws[1]}/${ws[2]}` : url.replace(/^file:\/\//, "");
}

function packageOf(name, url) {
  if (name === "(garbage collector)") return "(garbage collector)";
  if (!url) return "(native / V8)";
  if (url.startsWith("node:")) return "node core";
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (nm) {
    const inner = /^(?:dist\/)?(?:[^/]+\/)*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(nm[2]);
    return inner ? inner[1] : nm[1];
  }
  const ws = /\/(packages|services)\/([^/]+)\//.exec(url);
  return ws ? `@credvend/${ws[2]}` : "other";
}
