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

import type { DataFileRef, MetricSpec, Task } from "../../api/task.js";
import { rouge2 } from "../../metrics/rouge.js";
import { ACC_METRIC, PERCENT_METRIC, RecordReader, generationResponse, sourceName } from "./common.js";
import { jaAlpacaContext, jaAlpacaText } from "./alpacaFrame.js";

export interface XlsumJaDoc {
  id: string | null;
  text: string;
  summary: string;
}

const INSTRUCTION = "与えられたニュース記事を要約してください。";

/** Note the ASCII colon in "ニュース記事:" (the other 0.3 tasks use the full-width "："). */
export function xlsumJaText(doc: XlsumJaDoc): string {
  return jaAlpacaText(INSTRUCTION, `ニュース記事:${doc.text}`);
}

// The evaluator bootstraps the per-doc (P, R, F) rows on the 0-1 scale, as rouge-score does
// (`sampleScale: 100`), and reports mid F × 100 (`result["rouge2"].mid.fmeasure * 100`), so
// the aggregate is 0-100 (`scale: 1`).
const ROUGE2_BOOTSTRAP: MetricSpec = { aggregation: "rouge2_bootstrap_mid", higherIsBetter: true, scale: 1, sampleScale: 100 };

const NAME = "xlsum_ja-1.0-0.3";
const evalData: DataFileRef = { dataset: "xlsum_ja", split: "test" };
const fewshotData: DataFileRef = { dataset: "xlsum_ja", split: "train" };

export const xlsumJaTask: Task<XlsumJaDoc> = {
  name: NAME,
  aliases: ["xlsum_ja", "xlsum"],
  suite: "ja",
  version: "1.0",
  promptVersion: "0.3",
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
  fewshot: { kind: "random" },
  evalData,
  fewshotData,
  fewshotSource: "rnd.sample of the mkshing/xlsum_ja train split (4215 articles), dataset order",

  parseDocs(split, records) {
    const source = sourceName(split === "eval" ? evalData : fewshotData, NAME, split);
    return records.map((value, i) => {
      const r = new RecordReader(value, source, i);
      const id = r.raw("id");
      return { id: id === undefined || id === null ? null : String(id), text: r.string("text"), summary: r.string("summary") };
    });
  },

  fewshotContext(doc, shots) {
    return jaAlpacaContext(doc, shots, xlsumJaText, (d) => d.summary);
  },

  constructRequests(doc, context) {
    // greedy_until(ctx, [SEP], len(encode(summary)) + 10) with DYNAMIC_MAX_LENGTH on (default).
    return [{ type: "generate", context, until: ["\n"], maxTokens: { kind: "longestInModelTokens", texts: [doc.summary], extra: 10 } }];
  },

  processResults(doc, responses, tools) {
    const prediction = generationResponse(NAME, responses);
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

  describeDoc(doc) {
    return { id: doc.id, target: doc.summary };
  },
};
