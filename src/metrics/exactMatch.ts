// JSQuAD / JAQKET v2 exact match (Stability lm_eval/jasquad/evaluate.py @ 0fa86429, spec §3.4):
//   normalize_answer(s) = " ".join(neologdn.normalize(remove_emoji(s)).split())
//   exact_match_score(p, g) = normalize_answer(p) == normalize_answer(g)
//   per question: max over gold answers; task score: 100 * sum / N.
// No lowercasing and no punctuation removal (only the unreported F1 strips punctuation).

import { removeEmoji } from "./emoji.js";
import { neologdnNormalize } from "./neologdn.js";
import { pythonSplit } from "./pythonString.js";

export { pythonCapitalize, pythonSplit, pythonStrip } from "./pythonString.js";

/** Stability's `normalize_answer`. */
export function normalizeAnswer(s: string): string {
  return pythonSplit(neologdnNormalize(removeEmoji(s))).join(" ");
}

/**
 * `metric_max_over_ground_truths(exact_match_score, prediction, golds)` scaled by 100, i.e. this
 * question's contribution to `exact_match = 100.0 * sum / total`. Python's `max([])` raises, so an
 * empty gold list throws.
 */
export function exactMatchAny(prediction: string, golds: readonly string[]): 0 | 100 {
  if (golds.length === 0) {
    throw new RangeError("exactMatchAny: no gold answers (Python max() of an empty list)");
  }
  const normalizedPrediction = normalizeAnswer(prediction);
  for (const gold of golds) {
    if (normalizeAnswer(gold) === normalizedPrediction) return 100;
  }
  return 0;
}
