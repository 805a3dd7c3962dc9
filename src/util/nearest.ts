// "Did you mean": the closest of some known names to a misspelt one, by edit distance.

/** Levenshtein distance (insertions, deletions, substitutions; a swap of neighbours counts 1). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known name closest to `given` (case-insensitive), when close enough to be a slip: at most
 * a third of its length in edits (at least 1, at most 3). Null when nothing is that close.
 */
export function nearest(given: string, known: readonly string[]): string | null {
  const g = given.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(g.length / 3)));
  let best: { name: string; distance: number } | null = null;
  for (const name of known) {
    const distance = editDistance(g, name.toLowerCase());
    if (distance <= limit && (best === null || distance < best.distance)) best = { name, distance };
  }
  return best?.name ?? null;
}
