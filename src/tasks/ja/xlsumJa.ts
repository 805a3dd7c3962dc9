// XL-Sum (ja), prompt 0.3: `XLSumJaWithJAAlpacaPrompt` (lm_eval/tasks/ja/xlsum_ja.py at 0fa86429;
// unchanged at HEAD).
//
// ROUGE-2 quirk reproduced on purpose: the task builds a MeCab tokenizer, but LOAD_TOKENIZER makes
// the evaluator overwrite it with the evaluated model's HF tokenizer, so rouge-score splits
// reference and prediction with `tokenizer.tokenize()` (model sub-word pieces). We score bigrams
// of the model's token ids, which equal bigrams of those pieces because pieces map 1:1 to ids.
//
// Not reproduced: `preprocess_ctx`, which cuts shots and query sentence by sentence only when the
// prompt exceeds `max_length - max_tokens` model tokens; with a 32k context (1 shot) it never acts.

import type { MetricSpec } from "../../api/task.js";
import { rouge2 } from "../../metrics/rouge.js";
import { ACC_METRIC, PERCENT_METRIC } from "./common.js";
import { jaAlpacaGenerationTask } from "./alpacaTask.js";

export interface XlsumJaDoc {
  id: string | null;
  text: string;
  summary: string;
}

const INSTRUCTION = "与えられたニュース記事を要約してください。";

// The evaluator bootstraps the per-doc (P, R, F) rows on the 0-1 scale, as rouge-score does
// (`sampleScale: 100`), and reports mid F × 100 (`result["rouge2"].mid.fmeasure * 100`), so
// the aggregate is 0-100 (`scale: 1`).
const ROUGE2_BOOTSTRAP: MetricSpec = { aggregation: "rouge2_bootstrap_mid", higherIsBetter: true, scale: 1, sampleScale: 100 };

const NAME = "xlsum_ja-1.0-0.3";

export const xlsumJaTask = jaAlpacaGenerationTask<XlsumJaDoc>({
  name: NAME,
  aliases: ["xlsum_ja", "xlsum"],
  version: "1.0",
  primaryMetric: "rouge2",
  metrics: {
    // The reported number: rouge-score BootstrapAggregator mid F (needs the per-doc P/R/F rows).
    rouge2: ROUGE2_BOOTSTRAP,
    // The plain mean of per-doc F, for comparison; not what the reference reports.
    rouge2_mean: PERCENT_METRIC,
    // Per-doc P and R on the 0-1 scale (the bootstrap rows); their plain means, ×100 in tables.
    rouge2_precision: ACC_METRIC,
    rouge2_recall: ACC_METRIC,
  },
  defaultShots: 1,
  evalData: { dataset: "xlsum_ja", split: "test" },
  fewshotData: { dataset: "xlsum_ja", split: "train" },
  fewshotSource: "rnd.sample of the mkshing/xlsum_ja train split (4215 articles), dataset order",

  parseRecord(r) {
    return { id: r.optionalId("id"), text: r.string("text"), summary: r.string("summary") };
  },

  // Note the ASCII colon in "ニュース記事:" (the other 0.3 tasks use the full-width "：").
  prompt: { instruction: INSTRUCTION, input: (doc) => `ニュース記事:${doc.text}` },
  docToTarget: (doc) => doc.summary,
  // greedy_until(ctx, [SEP], len(encode(summary)) + 10) with DYNAMIC_MAX_LENGTH on (default).
  generate: { until: ["\n"], maxTokens: (doc) => ({ kind: "longestInModelTokens", texts: [doc.summary], extra: 10 }) },

  score(doc, prediction, tools) {
    if (!tools.tokenize) {
      throw new Error(`${NAME}: ROUGE-2 is computed over the evaluated model's tokens, but no tokenizer was given to processResults (ScoringTools.tokenize)`);
    }
    // rouge-score `scorer.score(target=ref, prediction=pred)`.
    const prf = rouge2(tools.tokenize(doc.summary), tools.tokenize(prediction));
    // Per doc on rouge-score's 0-1 scale (the bootstrap resamples these rows); the plain mean
    // is reported on 0-100 like the headline figure.
    return {
      rouge2: prf.fmeasure,
      rouge2_mean: prf.fmeasure * 100,
      rouge2_precision: prf.precision,
      rouge2_recall: prf.recall,
    };
  },

  describeDoc: (doc) => ({ id: doc.id, target: doc.summary }),
});
