// `hellaswag` as EleutherAI lm-evaluation-harness b281b09 builds it (`lm_eval/tasks/hellaswag.py::HellaSwag`).
//
// Record: the official jsonl `{ind, activity_label, ctx_a, ctx_b, ctx, split, split_type, label, endings,
// source_id}` (HF `hellaswag` keeps the fields and stores `label` as a string; `int(label)` covers both).

import { pythonCapitalize, pythonStrip } from "../../metrics/pythonString.js";
import { asObject, multipleChoiceTask, type MultipleChoiceDoc, type RecordFailure } from "./multipleChoice.js";

export type HellaSwagDoc = MultipleChoiceDoc;

/**
 * `HellaSwag.preprocess`, step for step:
 *   text.strip(); replace(" [title]", ". "); re.sub(r"\[.*?\]", "", text); replace("  ", " ").
 * Python's `.` (no DOTALL) matches everything but "\n"; JS `.` also refuses "\r", U+2028 and U+2029,
 * so the class is spelled `[^\n]`. Both `replace` calls are single left-to-right passes over
 * non-overlapping matches (so three spaces become two), which is what `replaceAll` does.
 */
export function hellaswagPreprocess(text: string): string {
  let out = pythonStrip(text);
  out = out.replaceAll(" [title]", ". ");
  out = out.replace(/\[[^\n]*?\]/g, "");
  out = out.replaceAll("  ", " ");
  return out;
}

/** Python `int(x)` for the label: an int, or a decimal string with optional sign and surrounding whitespace. */
function pythonIntLabel(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  const m = /^\s*([+-]?\d+)\s*$/.exec(value);
  return m ? Number.parseInt(m[1]!, 10) : undefined;
}

function parseHellaSwagRecord(record: unknown, fail: RecordFailure): HellaSwagDoc {
  const raw = asObject(record);
  const activityLabel = raw?.["activity_label"];
  const ctxA = raw?.["ctx_a"];
  const ctxB = raw?.["ctx_b"];
  const endings = raw?.["endings"];
  if (!raw || typeof activityLabel !== "string" || typeof ctxA !== "string" || typeof ctxB !== "string" || !Array.isArray(endings)) {
    throw fail("lacks activity_label/ctx_a/ctx_b/endings (HellaSwag jsonl format)");
  }
  if (!endings.every((e): e is string => typeof e === "string")) {
    throw fail("has a non-string ending");
  }
  const gold = pythonIntLabel(raw["label"]);
  if (gold === undefined || gold < 0 || gold >= endings.length) {
    throw fail(`has label ${JSON.stringify(raw["label"])}, expected 0-${endings.length - 1} (the test split has no labels)`);
  }
  const ctx = ctxA + " " + pythonCapitalize(ctxB);
  return {
    query: hellaswagPreprocess(activityLabel + ": " + ctx),
    choices: endings.map(hellaswagPreprocess),
    gold,
  };
}

export const hellaswagTask = multipleChoiceTask<HellaSwagDoc>({
  name: "hellaswag",
  aliases: [],
  version: "0",
  primaryMetric: "acc_norm",
  defaultShots: 10,
  fewshot: { kind: "random" },
  // has_test_docs() is false, so the evaluator scores validation; shots are rnd.sample(train, k).
  evalData: { dataset: "hellaswag", split: "validation" },
  fewshotData: { dataset: "hellaswag", split: "train" },
  fewshotSource: "rnd.sample of the HellaSwag train split (39905 contexts)",
  parseRecord: parseHellaSwagRecord,
});
