/**
 * Brand terms: the most frequent meaningful words and two-word phrases in survey comments.
 * Meaningful = not a stop word, at least three letters, not a number; each term counts once per
 * comment (a rant repeating "slow" five times is one mention).
 */
import { renderSql } from '../dialect/sqlText.ts';

const stopWords = new Set(
  "the and for are but not you your with this that was were have has had they them their there then than from what when where which who why how all any can could would should will just very really also its it's our out into about after before again more most much many some such only own same too off over under once here both each few other nor yet get got been being did does doing done had having him his her hers she he we us me my mine i a an to of in on at by or is be as it so no up do if am".split(
    ' ',
  ),
);

export function termsOf(comment: string): Set<string> {
  const words = comment
    .toLowerCase()
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}']+/u)
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter((w) => w.length >= 3 && !stopWords.has(w) && !/^\d+$/.test(w));
  const terms = new Set(words);
  for (let i = 0; i + 1 < words.length; i += 1) terms.add(`${words[i]} ${words[i + 1]}`);
  return terms;
}

export function countTerms(comments: Iterable<string>): { comments: number; mentions: Map<string, number> } {
  const mentions = new Map<string, number>();
  let count = 0;
  for (const comment of comments) {
    count += 1;
    for (const term of termsOf(comment)) mentions.set(term, (mentions.get(term) ?? 0) + 1);
  }
  return { comments: count, mentions };
}

/** Top terms now (at least 2 mentions), with their mentions and the change in share against before. */
export function brandTerms(current: Iterable<string>, previous: Iterable<string>, limit = 15) {
  const now = countTerms(current);
  const before = countTerms(previous);
  const top = [...now.mentions.entries()]
    .filter(([, n]) => n >= 2)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit);
  const share = (n: number, of: number) => (of > 0 ? n / of : 0);
  return {
    comments: now.comments,
    mentions: Object.fromEntries(top),
    shareChange: Object.fromEntries(
      top.map(([term, n]) => [term, share(n, now.comments) - share(before.mentions.get(term) ?? 0, before.comments)]),
    ),
  };
}

/** The survey comments of some months, as evaluate reads them for brand terms and the analyst report shows it. */
export const surveyCommentsSql = (months: readonly string[]) =>
  renderSql("select comment from surveys where month in {{months}} and comment is not null and comment <> ''", {
    months,
  });
