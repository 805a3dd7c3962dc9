// `arc_challenge` as EleutherAI lm-evaluation-harness b281b09 builds it (`lm_eval/tasks/arc.py::ARCChallenge`).
//
// The raw ARC-V1-Feb2018 jsonl record is `{id, question: {stem, choices: [{text, label}]}, answerKey}`;
// HF `ai2_arc` flattens it to `{id, question: stem, choices: {text: [...], label: [...]}, answerKey}`
// with the choices in file order, which is what `_process_doc` reads.

import { asObject, multipleChoiceTask, type MultipleChoiceDoc, type RecordFailure } from "./multipleChoice.js";

export interface ArcDoc extends MultipleChoiceDoc {
  id: string;
}

// `_process_doc`: "Some `doc["answerKey"]`s are in numeric string format being one of {'1'..'5'}. We map them back to letters."
const NUMBER_TO_LETTER: Readonly<Record<string, string>> = { "1": "A", "2": "B", "3": "C", "4": "D", "5": "E" };
// gold = ["A","B","C","D","E"].index(answerKey): the harness indexes into this fixed list, not into the
// doc's own label list (for every ARC-Challenge record the two agree; keeping the harness rule keeps
// any record where they would not).
const ANSWER_LETTERS = ["A", "B", "C", "D", "E"] as const;

export function arcGold(answerKey: string): number {
  const letter = NUMBER_TO_LETTER[answerKey] ?? answerKey;
  return (ANSWER_LETTERS as readonly string[]).indexOf(letter);
}

function parseArcRecord(record: unknown, fail: RecordFailure): ArcDoc {
  const raw = asObject(record);
  const question = asObject(raw?.["question"]);
  const stem = question?.["stem"];
  const choices = question?.["choices"];
  const answerKey = raw?.["answerKey"];
  if (!raw || typeof stem !== "string" || !Array.isArray(choices) || typeof answerKey !== "string") {
    throw fail("lacks id/question.stem/question.choices/answerKey (ARC jsonl format)");
  }
  const texts = choices.map((c) => asObject(c)?.["text"]);
  if (!texts.every((t): t is string => typeof t === "string")) {
    throw fail("has a choice without text");
  }
  const gold = arcGold(answerKey);
  // Python's list.index raises ValueError for a key outside A-E; an index past the choices would
  // raise IndexError in doc_to_target. Either way the reference run fails, so refuse the record.
  if (gold < 0 || gold >= texts.length) {
    throw fail(`has answerKey "${answerKey}" that names no choice`);
  }
  return {
    id: String(raw["id"]),
    query: "Question: " + stem + "\nAnswer:",
    choices: texts,
    gold,
  };
}

export const arcChallengeTask = multipleChoiceTask<ArcDoc>({
  name: "arc_challenge",
  aliases: ["arc", "arc-challenge"],
  version: "0",
  primaryMetric: "acc_norm",
  defaultShots: 25,
  fewshot: { kind: "random" },
  // has_test_docs() is true, so the evaluator scores test; shots are rnd.sample(train, k).
  evalData: { dataset: "arc_challenge", split: "test" },
  fewshotData: { dataset: "arc_challenge", split: "train" },
  fewshotSource: "rnd.sample of the ARC-Challenge train split (1119 questions)",
  parseRecord: parseArcRecord,
  describeExtra: (doc) => ({ id: doc.id }),
});
