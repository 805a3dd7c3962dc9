// JNLI, prompt 0.3: `JNLIWithJAAlpacaPrompt` (lm_eval/tasks/ja/jnli.py).
// - jnli-1.1-0.3 (0fa86429, the paper's commit): English labels, plain `rnd.sample` shots.
// - jnli-1.3-0.3 (jp-stable HEAD effdbeaf, suite ja8): Japanese labels 含意/矛盾/中立 and
//   stratified shots. Its base class BalancedMultipleChoiceTask also reports balanced_acc, mcc and
//   macro_f1; those are corpus-level aggregations the Task contract has no slot for, so they are
//   not reported here (acc and acc_norm are computed exactly as there).

import type { Task } from "../../api/task.js";
import { jaAlpacaChoiceTask } from "./alpacaTask.js";

export interface JnliDoc {
  sentencePairId: string | null;
  premise: string;
  hypothesis: string;
  /** Index into the ClassLabel order entailment, contradiction, neutral. */
  gold: number;
}

/** HF shunk031/JGLUE ClassLabel order; raw JGLUE files spell the label, HF rows give its index. */
export const JNLI_LABEL_NAMES = ["entailment", "contradiction", "neutral"] as const;
/** HEAD's CHOICES, indexed by the same ints. */
export const JNLI_LABELS_JA = ["含意", "矛盾", "中立"] as const;

/** `INSTRUCTION`: the choices one per line after "出力は以下から選択してください：". */
export function jnliInstruction(choices: readonly string[]): string {
  return "与えられた前提と仮説の関係を回答してください。\n\n出力は以下から選択してください：\n" + choices.join("\n");
}

function makeJnliTask(opts: { name: string; aliases: string[]; version: string; choices: readonly string[]; stratified: boolean }): Task<JnliDoc> {
  const { choices, stratified } = opts;
  return jaAlpacaChoiceTask<JnliDoc>({
    name: opts.name,
    aliases: opts.aliases,
    version: opts.version,
    defaultShots: 3,
    evalData: { dataset: "jnli", split: "validation" },
    fewshotData: { dataset: "jnli", split: "train" },
    fewshotSource: stratified
      ? "stratified by label from the JGLUE v1.1 train split (20073 pairs): per-label rnd.sample in proportion, then rnd.shuffle (jp-stable HEAD)"
      : "rnd.sample of the JGLUE v1.1 train split (20073 pairs), dataset order",
    // The stratum is `doc_to_target(doc)`, which maps the label index one-to-one.
    stratifyBy: stratified ? (doc) => doc.gold : undefined,

    parseRecord(r) {
      return {
        sentencePairId: r.optionalId("sentence_pair_id"),
        premise: r.string("sentence1"),
        hypothesis: r.string("sentence2"),
        gold: r.label("label", JNLI_LABEL_NAMES),
      };
    },

    prompt: { instruction: jnliInstruction(choices), input: (doc) => `前提：${doc.premise}\n仮説：${doc.hypothesis}` },
    choices,
    describeId: (doc) => ({ sentencePairId: doc.sentencePairId }),
  });
}

/** The paper's commit: English label words as choices and targets. */
export const jnliTask = makeJnliTask({
  name: "jnli-1.1-0.3",
  aliases: ["jnli"],
  version: "1.1",
  choices: JNLI_LABEL_NAMES,
  stratified: false,
});

/** jp-stable HEAD (ja8 suite): Japanese labels and stratified shots. */
export const jnliHeadTask = makeJnliTask({
  name: "jnli-1.3-0.3",
  aliases: [],
  version: "1.3",
  choices: JNLI_LABELS_JA,
  stratified: true,
});
