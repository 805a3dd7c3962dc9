// EleutherAI b281b09 `lm_eval/base.py::MultipleChoiceTask`, shared by ARC, HellaSwag and MMLU:
// `multipleChoiceTask` builds the whole Task from what differs (data, `_process_doc`, description,
// shots, version), so the three task files hold only that.
//
//   doc_to_target     = " " + choices[gold]
//   construct_requests = [loglikelihood(ctx, " " + choice) for choice in choices]
//   process_results   : acc      = argmax(lls) == gold
//                       acc_norm = argmax(lls / [len(choice) ...]) == gold
//
// `len(choice)` is Python's length of the choice *without* the leading space the
// request adds, counted in code points (not UTF-16 units).

import type { DataFileRef, FewshotRule, MetricSpec, Task } from "../../api/task.js";
import type { LoglikelihoodRequest, TaskResponse } from "../../api/types.js";
import { UserError } from "../../util/errors.js";
import { argmaxFirst } from "../../metrics/accuracy.js";
import { eleutherFewshotContext, eleutherPromptParts } from "../fewshotContext.js";

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

/** `rf.loglikelihood(ctx, continuation)` of b281b09: the pair is encoded by `_encode_pair`. */
export function encodePairRequest(context: string, continuation: string): LoglikelihoodRequest {
  return { type: "loglikelihood", context, continuation, tokenization: "encode_pair" };
}

export function multipleChoiceRequests(doc: MultipleChoiceDoc, context: string): LoglikelihoodRequest[] {
  return doc.choices.map((choice) => encodePairRequest(context, " " + choice));
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

/** Makes the dataset error for the record being parsed (task, split and record number already filled in). */
export type RecordFailure = (what: string) => UserError;

/** What one EleutherAI multiple-choice task declares; `multipleChoiceTask` supplies the rest. */
export interface MultipleChoiceTaskSpec<Doc extends MultipleChoiceDoc> {
  name: string;
  aliases: string[];
  /** `VERSION` as the reference reports it. */
  version: string;
  primaryMetric: "acc" | "acc_norm";
  defaultShots: number;
  fewshot: FewshotRule;
  evalData: DataFileRef;
  fewshotData: DataFileRef;
  fewshotSource: string;
  /** The description `fewshot_context` puts first (none by default; MMLU forces one). */
  description?: string;
  /** `_process_doc`: one raw record to query/choices/gold (plus anything kept for the samples file). */
  parseRecord(record: unknown, fail: RecordFailure): Doc;
  /** Doc fields written before gold/target/choices in the samples file (ARC's id). */
  describeExtra?(doc: Doc): Record<string, unknown>;
}

/**
 * The Task of a `MultipleChoiceTask` subclass: `doc_to_text` is the query, `doc_to_target` the gold
 * choice after a space, one loglikelihood request per choice, acc/acc_norm as above.
 */
export function multipleChoiceTask<Doc extends MultipleChoiceDoc>(spec: MultipleChoiceTaskSpec<Doc>): Task<Doc> {
  const { name } = spec;
  const contextParts = { description: spec.description ?? "", docToText: (d: Doc) => d.query, docToTarget: multipleChoiceTarget, targetDelimiter: " " };
  return {
    name,
    aliases: spec.aliases,
    suite: "en",
    version: spec.version,
    primaryMetric: spec.primaryMetric,
    metrics: multipleChoiceMetrics,
    defaultShots: spec.defaultShots,
    fewshot: spec.fewshot,
    evalData: spec.evalData,
    fewshotData: spec.fewshotData,
    fewshotSource: spec.fewshotSource,

    parseDocs(split, records) {
      // Errors name the manifest split ("test", "validation", "anatomy/dev").
      const splitName = (split === "eval" ? spec.evalData : spec.fewshotData).split;
      return records.map((record, index) => spec.parseRecord(record, (what) => badRecord(name, splitName, index, what)));
    },

    fewshotContext(doc, shots) {
      return eleutherFewshotContext(contextParts, doc, shots);
    },

    promptParts(doc, shots) {
      return eleutherPromptParts(contextParts, doc, shots);
    },

    constructRequests(doc, context) {
      return multipleChoiceRequests(doc, context);
    },

    processResults(doc, responses) {
      return multipleChoiceResults(name, doc, responses);
    },

    describeDoc(doc) {
      return { ...spec.describeExtra?.(doc), ...describeMultipleChoice(doc) };
    },
  };
}
