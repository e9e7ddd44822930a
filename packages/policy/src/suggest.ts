// "Did you mean …?" for a name a person typed (a command, a template, a config key): the closest
// candidate by edit distance, when it is close enough to be the evident intent.

/** Levenshtein distance, case-insensitive (a typo in case is still the same word). */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    for (let j = 1; j <= y.length; j++) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[y.length] ?? 0;
}

/** Names longer than this are not compared: a typo is short, and the cost is quadratic. */
const MAX_COMPARED_CHARS = 128;

/** At most this many edits: a third of the word's length, at least 1 and at most 3. */
function editLimit(word: string): number {
  return Math.min(3, Math.max(1, Math.floor(word.length / 3)));
}

/** The candidates within the edit limit of `word`, nearest first (ties keep their order). */
export function nearby(word: string, candidates: Iterable<string>): string[] {
  if (word.length === 0 || word.length > MAX_COMPARED_CHARS) return [];
  const limit = editLimit(word);
  const found: { candidate: string; d: number }[] = [];
  for (const candidate of candidates) {
    if (Math.abs(candidate.length - word.length) > limit) continue;
    const d = editDistance(word, candidate);
    if (d <= limit) found.push({ candidate, d });
  }
  return found.sort((a, b) => a.d - b.d).map((f) => f.candidate);
}

/**
 * The candidate closest to `word`, if within a third of its length (at least 1, at most 3 edits);
 * ties go to the first candidate. Undefined when nothing is that close or `word` is a candidate.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const near = nearby(word, candidates);
  return near[0] === word ? undefined : near[0];
}

/** `; did you mean "x"?` for the closest candidate, or "" when none is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closest(word, candidates);
  return match === undefined ? "" : `; did you mean ${JSON.stringify(match)}?`;
}
