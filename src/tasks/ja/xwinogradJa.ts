// xWinograd (ja): `XWinogradJA` (lm_eval/tasks/ja/xwinograd.py at 0fa86429; xwinograd_ja.py at HEAD,
// which only moves the dataset to polm-stability/xwinograd-ja after juletxara/xwinograd was deleted).
// No prompt and no shots: each full sentence is scored after an empty context ([EOS]).

import type { DataFileRef, Task } from "../../api/task.js";
import type { LoglikelihoodResponse } from "../../api/types.js";
import { ACC_METRIC, RecordReader, loglikelihood, loglikelihoodResponses, sourceName } from "./common.js";

export interface XwinogradJaDoc {
  sentence1: string;
  sentence2: string;
  /** `int(doc["answer"])`: which sentence is correct. */
  answer: 1 | 2;
}

/**
 * `li1 > li2` in the reference. Its requests are `rf.loglikelihood("", s)` without `[0]`, so each
 * result is the whole `(logprob, is_greedy)` tuple and Python compares tuples: a higher logprob
 * wins; on an exactly equal logprob, a greedy continuation beats a non-greedy one; otherwise it
 * is not greater (a full tie scores 0).
 */
export function pythonResultGreater(a: LoglikelihoodResponse, b: LoglikelihoodResponse): boolean {
  if (a.logprob !== b.logprob) return a.logprob > b.logprob; // NaN: false either way, as in Python
  return a.isGreedy && !b.isGreedy;
}

const NAME = "xwinograd_ja";
const evalData: DataFileRef = { dataset: "xwinograd_ja", split: "test" };

export const xwinogradJaTask: Task<XwinogradJaDoc> = {
  name: NAME,
  aliases: ["xwinograd", "xwino"],
  suite: "ja",
  version: "1.0",
  primaryMetric: "acc",
  metrics: { acc: ACC_METRIC },
  defaultShots: 0,
  fewshot: { kind: "none" },
  evalData,
  fewshotSource: "none (0-shot; no prompt, the sentences are scored on their own)",

  parseDocs(split, records) {
    const source = sourceName(evalData, NAME, split);
    return records.map((value, i) => {
      const r = new RecordReader(value, source, i);
      const answer = r.raw("answer");
      const n = typeof answer === "string" || typeof answer === "number" ? Number(answer) : NaN;
      if (n !== 1 && n !== 2) throw r.fail(`field "answer" should be "1" or "2"`);
      return { sentence1: r.string("sentence1"), sentence2: r.string("sentence2"), answer: n };
    });
  },

  fewshotContext(_doc, shots) {
    // The task has no DESCRIPTION and doc_to_text is "", so the context is always "".
    if (shots.length > 0) throw new Error(`${NAME} is 0-shot only (the reference asserts an empty context)`);
    return "";
  },

  promptParts(_doc, shots) {
    if (shots.length > 0) throw new Error(`${NAME} is 0-shot only (the reference asserts an empty context)`);
    // Each candidate sentence is the whole continuation, with no delimiter before it.
    return { description: "", shots: [], fewshotDelimiter: "\n\n", targetDelimiter: "", text: "" };
  },

  constructRequests(doc, context) {
    if (context !== "") throw new Error(`${NAME}: the context must be empty (got ${context.length} characters)`);
    return [loglikelihood("", doc.sentence1), loglikelihood("", doc.sentence2)];
  },

  processResults(doc, responses) {
    const [r1, r2] = loglikelihoodResponses(NAME, responses, 2) as [LoglikelihoodResponse, LoglikelihoodResponse];
    const correct = doc.answer === 1 ? pythonResultGreater(r1, r2) : pythonResultGreater(r2, r1);
    return { acc: correct ? 1 : 0 };
  },

  describeDoc(doc) {
    // `gold` is the dataset's own `answer`, counting from 1, because that is the `target` the
    // reference harness writes in its samples (test/parity.test.ts): it is not an index into the
    // requests. The report's explorer finds the gold sentence by its text (goldChoice).
    return { gold: doc.answer, target: doc.answer === 1 ? doc.sentence1 : doc.sentence2 };
  },
};
