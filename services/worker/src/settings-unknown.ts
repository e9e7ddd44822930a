// A misspelt CREDVEND_* variable would silently fall back to a default: report it at start, with
// the closest valid name.
import { SETTING_NAMES } from "./settings.js";

/** CREDVEND_* variables other credvend commands read (not worker settings, but not typos either). */
const READ_ELSEWHERE = new Set(["CREDVEND_TENANT", "CREDVEND_PRINCIPAL", "CREDVEND_REPLY_KEY_ARN", "CREDVEND_VENDOR_NATS_PASSWORD", "CREDVEND_TEST_LOG_LEVEL"]);

export interface UnknownSetting {
  readonly name: string;
  readonly closest: string;
}

export function unknownSettings(env: Readonly<Record<string, string | undefined>>): UnknownSetting[] {
  return Object.keys(env)
    .filter((name) => name.startsWith("CREDVEND_") && !SETTING_NAMES.includes(name) && !READ_ELSEWHERE.has(name))
    .sort()
    .map((name) => ({ name, closest: closestName(name) }));
}

/** The warning line for one unknown variable. */
export function unknownSettingLine(u: UnknownSetting): string {
  return `warning: ${u.name} is not a credvend worker setting (ignored); did you mean ${u.closest}?`;
}

function closestName(name: string): string {
  let best = SETTING_NAMES[0] ?? "";
  let bestDistance = Infinity;
  for (const candidate of [...SETTING_NAMES, ...READ_ELSEWHERE]) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance (names are short: the quadratic table is fine). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1) {
      row[j] = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length] ?? 0;
}
