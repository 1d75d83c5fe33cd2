// "Did you mean" for misspelt keys: the closest known key by edit distance, when it is close enough to be a typo.
// A config may hold thousands of unknown keys, each compared with every known key of its level, so the distance
// is computed only as far as the bound that decides (a band around the diagonal, stopped once it is exceeded).

/** Levenshtein distance, case-insensitive (a key's case is the commonest slip); `limit + 1` once above `limit`. */
export function editDistance(a: string, b: string, limit = Number.MAX_SAFE_INTEGER): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const over = Math.min(limit, Math.max(x.length, y.length)) + 1;
  if (Math.abs(x.length - y.length) >= over) return Math.min(over, limit + 1);
  // Cells farther than the bound from the diagonal cannot lead to a distance within it.
  const band = over - 1;
  let previous = new Array<number>(y.length + 1).fill(over);
  let current = new Array<number>(y.length + 1).fill(over);
  for (let j = 0; j <= Math.min(y.length, band); j++) previous[j] = j;
  for (let i = 1; i <= x.length; i++) {
    const lo = Math.max(1, i - band);
    const hi = Math.min(y.length, i + band);
    current.fill(over);
    if (lo === 1) current[0] = i;
    let rowMin = current[0]!;
    for (let j = lo; j <= hi; j++) {
      const substitution = previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1);
      const cell = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution, over);
      current[j] = cell;
      if (cell < rowMin) rowMin = cell;
    }
    // Every later row is at least this row's least cell.
    if (rowMin >= over) return Math.min(over, limit + 1);
    [previous, current] = [current, previous];
  }
  return Math.min(previous[y.length]!, limit + 1);
}

/** The candidate nearest to `word`, if within a third of its length (at least 2 edits allowed); else undefined. */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate, bestDistance - 1);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
