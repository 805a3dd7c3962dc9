// `hendrycksTest-<subject>` as EleutherAI lm-evaluation-harness b281b09 builds them
// (`lm_eval/tasks/hendrycks_test.py::GeneralHendrycksTest`, one task per entry of `SUBJECTS`).
//
// Quirks reproduced:
// - `fewshot_context` is overridden to force the description
//   "The following are multiple choice questions (with answers) about {subject with _ → space}.",
//   which the base `fewshot_context` follows with "\n\n" (even with 0 shots).
// - `fewshot_examples` ignores `rnd` and returns the first k docs of the `dev` split in file order,
//   so MMLU draws nothing from the RNG but the evaluator's shuffle.
// - Only the question is stripped; the choices go in as they are in the CSV (trailing spaces kept).

import type { Task } from "../../api/task.js";
import type { MmluRecord } from "../../datasets/formats.js";
import { pythonStrip } from "../../metrics/pythonString.js";
import { asObject, multipleChoiceTask, type MultipleChoiceDoc, type RecordFailure } from "./multipleChoice.js";

/** `hendrycks_test.py::SUBJECTS`, in the reference order. */
export const mmluSubjects: readonly string[] = [
  "abstract_algebra",
  "anatomy",
  "astronomy",
  "business_ethics",
  "clinical_knowledge",
  "college_biology",
  "college_chemistry",
  "college_computer_science",
  "college_mathematics",
  "college_medicine",
  "college_physics",
  "computer_security",
  "conceptual_physics",
  "econometrics",
  "electrical_engineering",
  "elementary_mathematics",
  "formal_logic",
  "global_facts",
  "high_school_biology",
  "high_school_chemistry",
  "high_school_computer_science",
  "high_school_european_history",
  "high_school_geography",
  "high_school_government_and_politics",
  "high_school_macroeconomics",
  "high_school_mathematics",
  "high_school_microeconomics",
  "high_school_physics",
  "high_school_psychology",
  "high_school_statistics",
  "high_school_us_history",
  "high_school_world_history",
  "human_aging",
  "human_sexuality",
  "international_law",
  "jurisprudence",
  "logical_fallacies",
  "machine_learning",
  "management",
  "marketing",
  "medical_genetics",
  "miscellaneous",
  "moral_disputes",
  "moral_scenarios",
  "nutrition",
  "philosophy",
  "prehistory",
  "professional_accounting",
  "professional_law",
  "professional_medicine",
  "professional_psychology",
  "public_relations",
  "security_studies",
  "sociology",
  "us_foreign_policy",
  "virology",
  "world_religions",
];

/** The group the evaluator reports over all `hendrycksTest-*` tasks (subject mean and question-weighted mean). */
export const mmluGroupName = "mmlu";

export const MMLU_TASK_PREFIX = "hendrycksTest-";

export function mmluTaskName(subject: string): string {
  return MMLU_TASK_PREFIX + subject;
}

/** The 57 task names of the `mmlu` group, in `SUBJECTS` order. */
export const mmluTaskNames: readonly string[] = mmluSubjects.map(mmluTaskName);

const MMLU_KEYS = ["A", "B", "C", "D"] as const;

export interface MmluDoc extends MultipleChoiceDoc {
  subject: string;
}

/** `GeneralHendrycksTest.fewshot_context`'s description (`_format_subject` joins the `_`-split words with spaces). */
export function mmluDescription(subject: string): string {
  return `The following are multiple choice questions (with answers) about ${subject.split("_").join(" ")}.`;
}

/** `format_example`: the stripped question, "K. choice\n" for each key, then "Answer:". */
export function mmluQuery(question: string, choices: readonly string[]): string {
  const lines = MMLU_KEYS.map((key, i) => `${key}. ${choices[i]}\n`).join("");
  return `${pythonStrip(question)}\n${lines}Answer:`;
}

function parseMmluRecord(subject: string, record: unknown, fail: RecordFailure): MmluDoc {
  const raw = asObject(record) as Partial<MmluRecord> | undefined;
  const choices = raw?.choices;
  if (!raw || typeof raw.question !== "string" || !Array.isArray(choices) || choices.length !== 4 || typeof raw.answer !== "string") {
    throw fail("lacks question/4 choices/answer (hendrycks MMLU CSV format)");
  }
  // HF cais/mmlu stores the answer letter as ClassLabel(names=["A","B","C","D"]); `gold` is that int.
  const gold = (MMLU_KEYS as readonly string[]).indexOf(raw.answer);
  if (gold < 0) throw fail(`has answer "${raw.answer}", expected one of A, B, C, D`);
  return {
    subject,
    query: mmluQuery(raw.question, choices),
    choices: [...MMLU_KEYS],
    gold,
  };
}

export function createMmluTask(subject: string): Task<MmluDoc> {
  return multipleChoiceTask<MmluDoc>({
    name: mmluTaskName(subject),
    aliases: [`mmlu_${subject}`],
    version: "1",
    primaryMetric: "acc",
    defaultShots: 5,
    fewshot: { kind: "first" },
    evalData: { dataset: "mmlu", split: `${subject}/test` },
    fewshotData: { dataset: "mmlu", split: `${subject}/dev` },
    fewshotSource: `the first k questions of the ${subject} dev split (5), in file order, no RNG`,
    description: mmluDescription(subject),
    parseRecord: (record, fail) => parseMmluRecord(subject, record, fail),
  });
}

export const mmluTasks: readonly Task<MmluDoc>[] = mmluSubjects.map(createMmluTask);
