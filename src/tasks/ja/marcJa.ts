// MARC-ja, prompt 0.3: `MARCJaWithJAAlpacaPrompt` (lm_eval/tasks/ja/marc_ja.py at 0fa86429; the
// prompt is unchanged at HEAD, where the base class adds corpus-level extras not reported here).

import type { DataFileRef, Task } from "../../api/task.js";
import { ACC_METRIC, RecordReader, loglikelihood, loglikelihoodResponses, multipleChoiceScores, sourceName } from "./common.js";
import { jaAlpacaContext, jaAlpacaText } from "./alpacaFrame.js";

export interface MarcJaDoc {
  reviewId: string | null;
  /** `query` = `sentence`. */
  review: string;
  /** 0 = positive, 1 = negative (HF ClassLabel order; the loader's is_pos_neg drops neutral). */
  gold: number;
}

export const MARC_JA_CHOICES = ["ポジティブ", "ネガティブ"] as const;
const LABEL_NAMES = ["positive", "negative"] as const;
const INSTRUCTION = "以下の製品レビューを、ポジティブまたはネガティブの感情クラスのいずれかに分類してください。";

export function marcJaText(doc: MarcJaDoc): string {
  return jaAlpacaText(INSTRUCTION, doc.review);
}

const NAME = "marc_ja-1.1-0.3";
const evalData: DataFileRef = { dataset: "marc_ja", split: "validation" };
const fewshotData: DataFileRef = { dataset: "marc_ja", split: "train" };

export const marcJaTask: Task<MarcJaDoc> = {
  name: NAME,
  aliases: ["marc_ja", "marc-ja"],
  suite: "ja",
  version: "1.1",
  promptVersion: "0.3",
  primaryMetric: "acc",
  metrics: { acc: ACC_METRIC, acc_norm: ACC_METRIC },
  defaultShots: 3,
  fewshot: { kind: "random" },
  evalData,
  fewshotData,
  fewshotSource: "rnd.sample of the MARC-ja train split (187528 reviews), dataset order",

  parseDocs(split, records) {
    const source = sourceName(split === "eval" ? evalData : fewshotData, NAME, split);
    return records.map((value, i) => {
      const r = new RecordReader(value, source, i);
      const id = r.raw("review_id");
      return {
        reviewId: id === undefined || id === null ? null : String(id),
        review: r.string("sentence"),
        gold: r.label("label", LABEL_NAMES),
      };
    });
  },

  fewshotContext(doc, shots) {
    return jaAlpacaContext(doc, shots, marcJaText, (d) => MARC_JA_CHOICES[d.gold]!);
  },

  constructRequests(_doc, context) {
    return MARC_JA_CHOICES.map((choice) => loglikelihood(context, choice));
  },

  processResults(doc, responses) {
    const lls = loglikelihoodResponses(NAME, responses, MARC_JA_CHOICES.length).map((r) => r.logprob);
    return multipleChoiceScores(lls, MARC_JA_CHOICES, doc.gold);
  },

  describeDoc(doc) {
    return { reviewId: doc.reviewId, gold: doc.gold, target: MARC_JA_CHOICES[doc.gold], choices: [...MARC_JA_CHOICES] };
  },
};
