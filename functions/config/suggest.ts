import { closest, distance } from 'fastest-levenshtein';

/**
 * The known name a typo most likely meant, for "did you mean" (docs/design.md, "What users touch"):
 * the closest by edit distance, ignoring case, when it is near enough to be a slip of the keyboard
 * (two edits, or a third of the word for longer ones), else none.
 */
export function nearest(word: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const lower = word.toLowerCase();
  const best = closest(
    lower,
    known.map((k) => k.toLowerCase()),
  );
  const within = Math.max(2, Math.floor(word.length / 3));
  return distance(lower, best) <= within ? known.find((k) => k.toLowerCase() === best) : undefined;
}

/** `: did you mean "x"?` after a message, or nothing when no known name is near. */
export function didYouMean(word: string, known: readonly string[]): string {
  const guess = nearest(word, known);
  return guess ? `: did you mean "${guess}"?` : '';
}
