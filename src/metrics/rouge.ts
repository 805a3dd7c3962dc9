// rouge-score's n-gram scoring (`rouge_scorer._create_ngrams` + `_score_ngrams` +
// `scoring.fmeasure`), for ROUGE-2 on already tokenised text. XLSum-ja feeds it the evaluated
// model's own tokenizer pieces (spec §3.6), so tokens are opaque here: strings or token ids.

export interface PRF {
  precision: number;
  recall: number;
  fmeasure: number;
}

type Token = string | number;

/** A Counter of n-grams keyed by an unambiguous encoding of the token tuple. */
function countNgrams(tokens: readonly Token[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    // JSON keeps 1 and "1" apart, as Python tuples do.
    const key = JSON.stringify(tokens.slice(i, i + n));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function sumCounts(counts: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const v of counts.values()) total += v;
  return total;
}

/** `scoring.fmeasure`: `2 * precision * recall / (precision + recall)`, or 0.0. */
export function fmeasure(precision: number, recall: number): number {
  if (precision + recall > 0) return (2 * precision * recall) / (precision + recall);
  return 0;
}

/** `_score_ngrams(target_ngrams, prediction_ngrams)` for n-grams of the given size. */
export function rougeN(n: number, referenceTokens: readonly Token[], predictionTokens: readonly Token[]): PRF {
  const target = countNgrams(referenceTokens, n);
  const prediction = countNgrams(predictionTokens, n);
  let intersection = 0;
  for (const [ngram, count] of target) {
    intersection += Math.min(count, prediction.get(ngram) ?? 0);
  }
  const precision = intersection / Math.max(sumCounts(prediction), 1);
  const recall = intersection / Math.max(sumCounts(target), 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** `RougeScorer(["rouge2"]).score(target=reference, prediction)["rouge2"]` on token lists. */
export function rouge2(referenceTokens: readonly Token[], predictionTokens: readonly Token[]): PRF {
  return rougeN(2, referenceTokens, predictionTokens);
}
