// The run `rescore` reads: its results file (anything `compare` accepts, resolved by
// `resultsFileOf`), the file's sha256 and the version that wrote it, the tasks in the order
// the run aggregated them, and each task's saved per-doc records. Nothing here writes: the
// source run is only read.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { UserError } from "../util/errors.js";
import type { SampleRecord } from "../evaluation/evaluator.js";
import type { ResultsDocument } from "../results/document.js";
import { readJsonLines } from "../results/jsonLines.js";
import { loadResults, readSampleRecords, samplesPathOf } from "../results/read.js";
import { pythonFloatStr } from "../results/sampleLines.js";

/** One task of the source run, as the run planned it. */
export interface SourceTask {
  name: string;
  shots: number;
  requestedShots: number;
  group?: string;
  samplesFile: string;
  samples: SampleRecord[];
}

export interface SourceRun {
  /** The results file, as resolved from the argument (relative when the argument was). */
  file: string;
  sha256: string;
  doc: ResultsDocument;
  /** Tasks in the run's aggregation order (which XLSum's seeded bootstrap depends on). */
  tasks: SourceTask[];
  /** Samples files whose bytes differ from the sha256 the results file records (edited after publishing). */
  editedSamples: string[];
}

/** The run's tasks in the order it scored them: the order of its samples record (the results' own order), else `results` without group rows. */
function taskOrder(doc: ResultsDocument): string[] {
  const recorded = Object.values(doc.rakuten_eval.samples ?? {}).map((r) => r.task);
  if (recorded.length > 0) return recorded;
  const groups = new Set(Object.keys(doc.group_subtasks ?? {}));
  return Object.keys(doc.results).filter((t) => !groups.has(t));
}

/** A saved response as lm-eval's `resps` shows it (`sanitize_list`). */
function sanitized(response: unknown): unknown {
  if (typeof response === "string") return response;
  const r = response as { logprob: number; isGreedy: boolean };
  return [pythonFloatStr(r.logprob), r.isGreedy ? "True" : "False"];
}

/**
 * Each line's `resps` (what lm-eval's readers and a person see) must say what its
 * `rakuten_eval.responses` (what is re-scored) says: an edit of one but not the other would
 * re-score something else than the file shows.
 */
function respsProblem(file: string): string | null {
  for (const { value, lineNumber } of readJsonLines(file, "the samples file is damaged.")) {
    const line = value as { doc_id?: unknown; resps?: unknown; rakuten_eval?: { responses?: unknown } };
    const responses = line.rakuten_eval?.responses;
    if (!Array.isArray(responses) || !Array.isArray(line.resps)) continue;
    const shown = JSON.stringify(line.resps);
    const saved = JSON.stringify(responses.map((r) => [sanitized(r)]));
    if (shown !== saved) {
      return `${path.basename(file)} line ${lineNumber} (doc_id ${String(line.doc_id)}): its resps and rakuten_eval.responses disagree; edit both the same way (rescore reads rakuten_eval.responses).`;
    }
  }
  return null;
}

/** The run's samples files whose bytes are no longer those its results file records (a missing one is left to the reader). */
function editedSamplesFiles(resultsFile: string, doc: ResultsDocument): Set<string> {
  const edited = new Set<string>();
  for (const [name, record] of Object.entries(doc.rakuten_eval.samples ?? {})) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path.join(path.dirname(resultsFile), name));
    } catch {
      continue;
    }
    if (createHash("sha256").update(bytes).digest("hex") !== record.sha256) edited.add(name);
  }
  return edited;
}

/** Read the source run. Throws `UserError` (one line) for what rescore cannot take. */
export function loadSourceRun(arg: string, warn: (line: string) => void): SourceRun {
  const { doc, file, origin } = loadResults(arg);
  if (origin !== "rakuten-eval") {
    throw new UserError("usage", `${file} was written by lm-evaluation-harness; rescore needs a run of rakuten-eval, whose samples files keep each request's tokenization rule and responses as numbers.`);
  }
  const shard = doc.rakuten_eval.shard;
  if (shard) throw new UserError("usage", `${file} is shard ${shard.index}/${shard.count} of a sharded run; merge the shards with \`rakuten-eval merge\`, then rescore the merged run.`);
  const sha256 = createHash("sha256").update(readFileSync(file)).digest("hex");
  const edited = editedSamplesFiles(file, doc);
  for (const name of edited) warn(`warning: ${name} differs from the sha256 ${path.basename(file)} records (edited after the run published it); rescoring what it holds now.`);
  const settings = doc.rakuten_eval.task_settings ?? {};
  const tasks = taskOrder(doc).map((name): SourceTask => {
    const samplesFile = samplesPathOf(file, doc, name);
    const samples = readSampleRecords(samplesFile, file);
    const problem = respsProblem(samplesFile);
    if (problem) throw new UserError("usage", problem);
    const shots = doc["n-shot"][name] ?? 0;
    const group = settings[name]?.group;
    return {
      name,
      shots,
      requestedShots: settings[name]?.requested_num_fewshot ?? shots,
      ...(group ? { group } : {}),
      samplesFile,
      samples,
    };
  });
  return { file, sha256, doc, tasks, editedSamples: [...edited].sort() };
}
