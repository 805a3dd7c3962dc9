// Writing a run's outputs: results.json and one samples_<task>.jsonl per task, published as
// one unit (src/util/publish.ts). results.json is the manifest: it is put in place last and
// records every samples file it goes with under `rakuten_eval.samples` (file name → task,
// bytes, sha256), so a reader can check that the samples beside it are this run's
// (`samplesFileProblems` in src/results/samplesFiles.ts).

import { createHash } from "node:crypto";
import path from "node:path";
import { UserError } from "./errors.js";
import type { TaskResult } from "./evaluator.js";
import type { ResultsDocument, SamplesFileRecord } from "./results/document.js";
import { assertValidResults } from "./results/validate.js";
import { publishFiles, type PublishedFile } from "./util/publish.js";

export const RESULTS_FILE_NAME = "results.json";

/** Files a run owns in its output folder besides results.json: retired when a later run does not write them. */
export const SAMPLES_FILE_PATTERN = /^samples_.+\.jsonl$/;

export function samplesFileName(task: string): string {
  return `samples_${task}.jsonl`;
}

export interface WrittenOutputs {
  resultsPath: string;
  samplesPaths: string[];
}

/**
 * Validates `doc` (after recording the samples files in it) and publishes it with the
 * samples of `taskResults` into `outputDir`. `doc.rakuten_eval.samples` is set here.
 */
export async function writeRunOutputs(outputDir: string, doc: ResultsDocument, taskResults: readonly TaskResult[]): Promise<WrittenOutputs> {
  const files: PublishedFile[] = [];
  const record: Record<string, SamplesFileRecord> = {};
  for (const r of taskResults) {
    const name = samplesFileName(r.task.name);
    const content = Buffer.from(r.samples.map((s) => JSON.stringify({ task: r.task.name, ...s })).join("\n") + "\n", "utf8");
    files.push({ name, content });
    record[name] = { task: r.task.name, sha256: createHash("sha256").update(content).digest("hex"), bytes: content.length };
  }
  doc.rakuten_eval.samples = record;
  assertValidResults(doc);
  const manifest: PublishedFile = { name: RESULTS_FILE_NAME, content: JSON.stringify(doc, null, 2) + "\n" };
  try {
    await publishFiles(outputDir, files, manifest, { owns: SAMPLES_FILE_PATTERN });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A full disk or quota is left to the command layer's one disk-full line (errors.ts
    // `diskFullError`), which names the file and says what the cache kept.
    if (code === "EROFS" || code === "EACCES" || code === "EPERM") {
      throw new UserError(
        "output",
        `Cannot write the run's outputs into ${outputDir} (${code}); free space there or pass --output with another folder, then rerun the same command (finished answers are in the request cache unless --no-cache).`,
      );
    }
    throw error;
  }
  return { resultsPath: path.join(outputDir, RESULTS_FILE_NAME), samplesPaths: files.map((f) => path.join(outputDir, f.name)) };
}
