// EleutherAI b281b09 `lm_eval/base.py::MultipleChoiceTask`, shared by ARC, HellaSwag and MMLU.
//
//   doc_to_target     = " " + choices[gold]
//   construct_requests = [loglikelihood(ctx, " " + choice) for choice in choices]
//   process_results   : acc      = argmax(lls) == gold
//                       acc_norm = argmax(lls / [len(choice) ...]) == gold
//
// `len(choice)` is Python's length of the choice *without* the leading space the
// request adds, counted in code points (not UTF-16 units).

import type { MetricSpec } from "../../api/task.js";
import type { LoglikelihoodRequest, TaskResponse } from "../../api/types.js";
import { UserError } from "../../errors.js";
import { argmaxFirst } from "../../metrics/accuracy.js";

/** The `_process_doc` output of every EleutherAI multiple-choice task. */
export interface MultipleChoiceDoc {
  query: string;
  choices: string[];
  gold: number;
}

export const multipleChoiceMetrics: Record<"acc" | "acc_norm", MetricSpec> = {
  acc: { aggregation: "mean", higherIsBetter: true, scale: 100 },
  acc_norm: { aggregation: "mean", higherIsBetter: true, scale: 100 },
};

export function multipleChoiceTarget(doc: MultipleChoiceDoc): string {
  return " " + doc.choices[doc.gold];
}

export function multipleChoiceRequests(doc: MultipleChoiceDoc, context: string): LoglikelihoodRequest[] {
  return doc.choices.map((choice) => ({
    type: "loglikelihood",
    context,
    continuation: " " + choice,
    tokenization: "encode_pair",
  }));
}

/** Python `len(s)`: code points, so a character outside the BMP counts once. */
export function pythonLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The log-likelihoods out of loglikelihood responses; a task that gets anything else is misused. */
export function loglikelihoods(taskName: string, responses: readonly TaskResponse[], expected: number): number[] {
  if (responses.length !== expected) {
    throw new Error(`${taskName}: expected ${expected} loglikelihood responses, got ${responses.length}`);
  }
  return responses.map((r, i) => {
    if (typeof r === "string") throw new Error(`${taskName}: response ${i} is generated text, expected a loglikelihood`);
    return r.logprob;
  });
}

export function multipleChoiceResults(
  taskName: string,
  doc: MultipleChoiceDoc,
  responses: readonly TaskResponse[],
): { acc: number; acc_norm: number } {
  const lls = loglikelihoods(taskName, responses, doc.choices.length);
  // numpy float64 division; an empty choice gives ±inf or NaN exactly as numpy does.
  const normalized = lls.map((ll, i) => ll / pythonLength(doc.choices[i]!));
  return {
    acc: argmaxFirst(lls) === doc.gold ? 1.0 : 0.0,
    acc_norm: argmaxFirst(normalized) === doc.gold ? 1.0 : 0.0,
  };
}

export function describeMultipleChoice(doc: MultipleChoiceDoc): Record<string, unknown> {
  return { gold: doc.gold, target: doc.choices[doc.gold], choices: doc.choices };
}

/** A malformed record: the message names the task, split and record so the file can be re-downloaded. */
export function badRecord(taskName: string, split: string, index: number, what: string): UserError {
  return new UserError("dataset", `${taskName} (${split}): record ${index + 1} ${what}; re-download the dataset file.`);
}

/** Narrow an unknown record to a plain object. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
