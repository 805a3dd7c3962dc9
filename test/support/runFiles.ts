// A run's files in lm-evaluation-harness v0.4's layout (<output>/<model>/results_<date>.json and
// samples_<task>_<date>.jsonl), found the way compare and report find them.

import { readFileSync } from "node:fs";
import path from "node:path";
import { resultsFileOf } from "../../src/results/layout.js";
import type { ResultsDocument } from "../../src/results/document.js";

/** The results file of the (newest) run written with `--output out`. */
export function runResultsFile(out: string): string {
  return resultsFileOf(out);
}

export function readRunDoc(out: string): ResultsDocument {
  return JSON.parse(readFileSync(runResultsFile(out), "utf8")) as ResultsDocument;
}

/** The samples file of `task` that the results file records. */
export function runSamplesFile(out: string, task: string): string {
  const file = runResultsFile(out);
  const doc = JSON.parse(readFileSync(file, "utf8")) as ResultsDocument;
  const name = Object.entries(doc.rakuten_eval.samples ?? {}).find(([, r]) => r.task === task)?.[0];
  if (!name) throw new Error(`${file} records no samples file for ${task}`);
  return path.join(path.dirname(file), name);
}

/** A samples line with our request records brought to the top level (they live under rakuten_eval). */
export interface OurSample {
  doc_id: number;
  requests: { type: string; context: string; continuation: string; tokenization: string }[];
  responses: { logprob: number; isGreedy: boolean }[];
  metrics: string[];
  [key: string]: unknown;
}

export function readRunSamples(out: string, task: string): OurSample[] {
  return readFileSync(runSamplesFile(out, task), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const s = JSON.parse(l) as Record<string, unknown> & { rakuten_eval: { requests: OurSample["requests"]; responses: OurSample["responses"] } };
      return { ...s, requests: s.rakuten_eval.requests, responses: s.rakuten_eval.responses } as unknown as OurSample;
    });
}

/** Every samples file the results file records, by task, in task order. */
export function runSamplesFiles(out: string): Map<string, string> {
  const file = runResultsFile(out);
  const doc = JSON.parse(readFileSync(file, "utf8")) as ResultsDocument;
  const entries = Object.entries(doc.rakuten_eval.samples ?? {}).map(([name, r]) => [r.task, path.join(path.dirname(file), name)] as [string, string]);
  return new Map(entries.sort(([a], [b]) => a.localeCompare(b)));
}

/** All samples lines of a run (every task), with our request records at the top level and the task named. */
export function readAllRunSamples(out: string): (OurSample & { task: string })[] {
  return [...runSamplesFiles(out).keys()].flatMap((task) => readRunSamples(out, task).map((s) => ({ ...s, task })));
}
