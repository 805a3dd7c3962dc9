// JCommonsenseQA, prompt 0.3: `JCommonsenseQAWithJAAlpacaPrompt` (lm_eval/tasks/ja/jcommonsenseqa.py
// at 0fa86429; unchanged at jp-stable HEAD).

import { jaAlpacaChoiceTask } from "./alpacaTask.js";

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

export const jcommonsenseqaTask = jaAlpacaChoiceTask<JCommonsenseQADoc>({
  name: "jcommonsenseqa-1.1-0.3",
  aliases: ["jcs", "jcommonsenseqa"],
  version: "1.1",
  defaultShots: 3,
  evalData: { dataset: "jcommonsenseqa", split: "validation" },
  fewshotData: { dataset: "jcommonsenseqa", split: "train" },
  fewshotSource: "rnd.sample of the JGLUE v1.1 train split (8939 questions), dataset order",

  parseRecord(r) {
    const choices = [0, 1, 2, 3, 4].map((k) => r.string(`choice${k}`));
    const gold = r.integer("label");
    if (gold < 0 || gold > 4) throw r.fail(`field "label" should be 0–4, found ${gold}`);
    const qId = r.raw("q_id");
    return { qId: typeof qId === "number" ? qId : null, question: r.string("question"), choices, gold };
  },

  prompt: {
    // `doc_to_text`: no newline between the instruction and "出力は…"; choices as "- c" lines.
    instruction: (doc) => `${INSTRUCTION}出力は以下から選択してください：\n${doc.choices.map((c) => `- ${c}`).join("\n")}`,
    input: (doc) => doc.question,
  },
  choices: (doc) => doc.choices,
  describeId: (doc) => ({ qId: doc.qId }),
});
