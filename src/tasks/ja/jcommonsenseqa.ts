// JCommonsenseQA, prompt 0.3: `JCommonsenseQAWithJAAlpacaPrompt` (lm_eval/tasks/ja/jcommonsenseqa.py
// at 0fa86429; unchanged at jp-stable HEAD).

import type { Task } from "../../api/task.js";
import { ACC_METRIC, RecordReader, loglikelihood, loglikelihoodResponses, multipleChoiceScores, sourceName } from "./common.js";
import { jaAlpacaContext, jaAlpacaText } from "./alpacaFrame.js";

export interface JCommonsenseQADoc {
  /** `q_id` of the JGLUE file, kept for the samples file. */
  qId: number | null;
  /** `goal`. */
  question: string;
  /** `[choice0..choice4]`. */
  choices: string[];
  /** `label` (0–4). */
  gold: number;
}

const INSTRUCTION = "与えられた選択肢の中から、最適な答えを選んでください。";

/** `doc_to_text`: no newline between the instruction and "出力は…"; choices as "- c" lines. */
export function jcommonsenseqaText(doc: JCommonsenseQADoc): string {
  const choices = doc.choices.map((c) => `- ${c}`).join("\n");
  return jaAlpacaText(`${INSTRUCTION}出力は以下から選択してください：\n${choices}`, doc.question);
}

const NAME = "jcommonsenseqa-1.1-0.3";
const evalData = { dataset: "jcommonsenseqa", split: "validation" };
const fewshotData = { dataset: "jcommonsenseqa", split: "train" };

export const jcommonsenseqaTask: Task<JCommonsenseQADoc> = {
  name: NAME,
  aliases: ["jcs", "jcommonsenseqa"],
  suite: "ja",
  version: "1.1",
  promptVersion: "0.3",
  primaryMetric: "acc",
  metrics: { acc: ACC_METRIC, acc_norm: ACC_METRIC },
  defaultShots: 3,
  fewshot: { kind: "random" },
  evalData,
  fewshotData,
  fewshotSource: "rnd.sample of the JGLUE v1.1 train split (8939 questions), dataset order",

  parseDocs(split, records) {
    const source = sourceName(split === "eval" ? evalData : fewshotData, NAME, split);
    return records.map((value, i) => {
      const r = new RecordReader(value, source, i);
      const choices = [0, 1, 2, 3, 4].map((k) => r.string(`choice${k}`));
      const gold = r.integer("label");
      if (gold < 0 || gold > 4) throw r.fail(`field "label" should be 0–4, found ${gold}`);
      const qId = r.raw("q_id");
      return { qId: typeof qId === "number" ? qId : null, question: r.string("question"), choices, gold };
    });
  },

  fewshotContext(doc, shots) {
    return jaAlpacaContext(doc, shots, jcommonsenseqaText, (d) => d.choices[d.gold]!);
  },

  constructRequests(doc, context) {
    // `"{}".format(choice)`: no leading space (the JP tasks override MultipleChoiceTask's " ").
    return doc.choices.map((choice) => loglikelihood(context, choice));
  },

  processResults(doc, responses) {
    const lls = loglikelihoodResponses(NAME, responses, doc.choices.length).map((r) => r.logprob);
    return multipleChoiceScores(lls, doc.choices, doc.gold);
  },

  describeDoc(doc) {
    return { qId: doc.qId, gold: doc.gold, target: doc.choices[doc.gold], choices: doc.choices };
  },
};
