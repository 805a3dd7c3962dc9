// MARC-ja, prompt 0.3: `MARCJaWithJAAlpacaPrompt` (lm_eval/tasks/ja/marc_ja.py at 0fa86429; the
// prompt is unchanged at HEAD, where the base class adds corpus-level extras not reported here).

import { jaAlpacaChoiceTask } from "./alpacaTask.js";

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

export const marcJaTask = jaAlpacaChoiceTask<MarcJaDoc>({
  name: "marc_ja-1.1-0.3",
  aliases: ["marc_ja", "marc-ja"],
  version: "1.1",
  defaultShots: 3,
  evalData: { dataset: "marc_ja", split: "validation" },
  fewshotData: { dataset: "marc_ja", split: "train" },
  fewshotSource: "rnd.sample of the MARC-ja train split (187528 reviews), dataset order",

  parseRecord(r) {
    return {
      reviewId: r.optionalId("review_id"),
      review: r.string("sentence"),
      gold: r.label("label", LABEL_NAMES),
    };
  },

  prompt: { instruction: INSTRUCTION, input: (doc) => doc.review },
  choices: MARC_JA_CHOICES,
  describeId: (doc) => ({ reviewId: doc.reviewId }),
});
