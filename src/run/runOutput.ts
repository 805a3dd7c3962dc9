// Writing a run's outputs in lm-evaluation-harness v0.4's layout (src/results/layout.ts):
// `<output>/<model_name_sanitized>/results_<date id>.json` and one
// `samples_<task>_<date id>.jsonl` per task, published as one unit (src/util/publish.ts). The
// results file is the manifest: it is put in place last and records every samples file it goes
// with under `rakuten_eval.samples` (file name → task, bytes, sha256), so a reader can check
// that the samples beside it are this run's (`samplesFileProblems` in
// src/results/samplesFiles.ts). Each run has its own date id: a rerun adds files and never
// replaces an earlier run's. `--output FILE.json` (lm-eval's other form) writes
// `<FILE stem>_<date id>.json` with the samples beside it.
//
// With `--format openllm-v1` or `jp-stable`, the leaderboard's own file is written too (after
// the lm-eval files, which compare, report and resume read).

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { UserError } from "../util/errors.js";
import type { TaskResult } from "../evaluation/evaluator.js";
import { resultsJson, type ResultsDocument, type SamplesFileRecord } from "../results/document.js";
import { jpStableResults } from "../results/formats/jpStable.js";
import { openLlmV1Results } from "../results/formats/openllmV1.js";
import { dateId, resultsFileName, samplesFileName } from "../results/layout.js";
import { lmEvalSample, samplesLine, taskHash } from "../results/sampleLines.js";
import { assertValidResults } from "../results/validate.js";
import { publishFiles, type PublishedFile } from "../util/publish.js";

export const OUTPUT_FORMATS = ["lm-eval", "openllm-v1", "jp-stable"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface WrittenOutputs {
  resultsPath: string;
  samplesPaths: string[];
  /** The leaderboard-format file (`--format openllm-v1|jp-stable`), when written. */
  formatPath?: string;
}

/** Where a run's files go: the folder, and the results file's name for a date id. */
export function runFolderOf(output: string, modelNameSanitized: string): { dir: string; resultsName: (id: string) => string } {
  if (path.extname(output) === ".json") {
    const stem = path.basename(output, ".json");
    return { dir: path.dirname(output), resultsName: (id) => `${stem}_${id}.json` };
  }
  return { dir: path.join(output, modelNameSanitized), resultsName: resultsFileName };
}

/**
 * A samples file of the lm-eval layout whose date id no results file in the folder has
 * (`results_<id>.json`, or `<stem>_<id>.json` with --output FILE.json): the remains of a run
 * killed while publishing. Legacy `samples_<task>.jsonl` files never match.
 */
export function orphanSamplesFile(name: string, names: readonly string[]): boolean {
  const id = /^samples_.+_(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(?:\.\d+)?)\.jsonl$/.exec(name)?.[1];
  return id !== undefined && !names.some((n) => n.endsWith(`_${id}.json`));
}

/** A date id not yet used in `dir` (two runs started in the same millisecond get distinct ones). */
function freshDateId(dir: string, started: Date, resultsName: (id: string) => string): string {
  let when = started;
  while (existsSync(path.join(dir, resultsName(dateId(when))))) when = new Date(when.getTime() + 1);
  return dateId(when);
}

function outputError(error: unknown, dir: string): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  // A full disk or quota is left to the command layer's one disk-full line (util/errors.ts
  // `diskFullError`), which names the file and says what the cache kept.
  if (code === "EROFS" || code === "EACCES" || code === "EPERM") {
    return new UserError(
      "output",
      `Cannot write the run's outputs into ${dir} (${code}); free space there or pass --output with another folder, then rerun the same command (finished answers are in the request cache unless --no-cache).`,
    );
  }
  return error;
}

/** The leaderboard file of `format` for `doc`: its path under the run folder and its text. */
function formatFile(format: OutputFormat, dir: string, id: string, doc: ResultsDocument): { file: string; text: string } | null {
  if (format === "openllm-v1") return { file: path.join(dir, "openllm-v1", `results_${id}.json`), text: JSON.stringify(openLlmV1Results(doc), null, 4) + "\n" };
  if (format === "jp-stable") return { file: path.join(dir, "jp-stable", id, "result.json"), text: JSON.stringify(jpStableResults(doc), null, 2) + "\n" };
  return null;
}

/**
 * Validates `doc` (after recording the samples files and task hashes in it) and publishes it
 * with the samples of `taskResults` under `output`. `doc.rakuten_eval.samples` and
 * `doc.task_hashes` are set here.
 */
export async function writeRunOutputs(output: string, doc: ResultsDocument, taskResults: readonly TaskResult[], format: OutputFormat = "lm-eval"): Promise<WrittenOutputs> {
  const { dir, resultsName } = runFolderOf(output, doc.model_name_sanitized ?? "model");
  const started = new Date(typeof doc.date === "number" ? doc.date * 1000 : Date.parse(doc.date));
  const id = freshDateId(dir, started, resultsName);
  const files: PublishedFile[] = [];
  const record: Record<string, SamplesFileRecord> = {};
  const hashes: Record<string, string> = {};
  for (const r of taskResults) {
    const name = samplesFileName(r.task.name, id);
    const lines = r.samples.map((s) => lmEvalSample(r.task.name, s));
    hashes[r.task.name] = taskHash(lines);
    const content = Buffer.from(lines.map(samplesLine).join("\n") + "\n", "utf8");
    files.push({ name, content });
    record[name] = { task: r.task.name, sha256: createHash("sha256").update(content).digest("hex"), bytes: content.length };
  }
  doc.task_hashes = hashes;
  doc.rakuten_eval.samples = record;
  assertValidResults(doc);
  const manifest: PublishedFile = { name: resultsName(id), content: resultsJson(doc) + "\n" };
  try {
    // Nothing of an earlier run is retired (its files have another date id); only samples files
    // that no results file names, left by a run killed while publishing.
    await publishFiles(dir, files, manifest, { owns: orphanSamplesFile });
  } catch (error) {
    throw outputError(error, dir);
  }
  const out: WrittenOutputs = { resultsPath: path.join(dir, manifest.name), samplesPaths: files.map((f) => path.join(dir, f.name)) };
  const extra = formatFile(format, dir, id, doc);
  if (extra) {
    try {
      mkdirSync(path.dirname(extra.file), { recursive: true });
      const temp = `${extra.file}.tmp-${process.pid}`;
      writeFileSync(temp, extra.text);
      renameSync(temp, extra.file);
    } catch (error) {
      throw outputError(error, path.dirname(extra.file));
    }
    out.formatPath = extra.file;
  }
  return out;
}
