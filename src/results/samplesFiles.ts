// Checking that the samples files beside a results file are the ones it was published with:
// `rakuten_eval.samples` names each file with its sha256 (written by `run`, see
// src/util/publish.ts for how the files are put in place).

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { ResultsDocument } from "./document.js";

/**
 * Problems with the samples files of `doc`, read from `resultsFile` (they lie beside it), one line
 * each (empty when every file named is present with its recorded sha256). A document without the
 * record (written before it existed) gives no problems: there is nothing to check against.
 */
export function samplesFileProblems(resultsFile: string, doc: ResultsDocument): string[] {
  const recorded = doc.rakuten_eval.samples;
  if (recorded === undefined) return [];
  const dir = path.dirname(resultsFile);
  const results = path.basename(resultsFile);
  const problems: string[] = [];
  for (const [name, record] of Object.entries(recorded)) {
    const file = path.join(dir, name);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      problems.push(`${file} is missing (${(error as NodeJS.ErrnoException).code ?? "unreadable"}); ${results} names it. Rerun the evaluation to publish its outputs again.`);
      continue;
    }
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    if (sha256 !== record.sha256) {
      problems.push(`${file} is not the file published with ${results} (sha256 ${sha256.slice(0, 12)}…, recorded ${record.sha256.slice(0, 12)}…); another run wrote it. Rerun the evaluation to publish its outputs again.`);
    }
  }
  return problems;
}
