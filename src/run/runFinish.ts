// A run's last phase, once its files are published: what the cache kept, and the outcome. A
// stopped run ends here with its error (an interrupt as InterruptedError, naming the partial
// results and how to resume); a complete one returns what the command prints.

import { InterruptedError, stopSignalOf } from "../backend/interruption.js";
import type { CachingBackend } from "../backend/cachingBackend.js";
import type { ResultsDocument } from "../results/document.js";
import type { TokenizerAgreementRecord } from "../results/types.js";
import { tokenizerAgreementLine } from "./tokenizerCheck.js";
import type { RunEngine } from "./runEngine.js";
import type { Evaluation } from "./runEvaluate.js";
import type { RunOptions, RunOutcome } from "./runOptions.js";
import type { WrittenOutputs } from "./runOutput.js";

/** What the run made, for its outcome. */
export interface FinishedRun {
  doc: ResultsDocument;
  written: WrittenOutputs;
  evaluation: Evaluation;
  backend: CachingBackend;
  engine: RunEngine;
  tokenizerAgreement?: TokenizerAgreementRecord;
  /** When the run began (ms since the epoch). */
  started: number;
}

export function finishRun(run: FinishedRun, options: Pick<RunOptions, "signal">, log: (line: string) => void, warn: (line: string) => void): RunOutcome {
  const { doc, evaluation, backend, engine: { cache } } = run;
  const { resultsPath, samplesPaths, formatPath } = run.written;
  const { taskResults, stopped } = evaluation;
  const counts = backend.phaseCounts().filter((c) => c.requests > 0);
  const computed = counts.reduce((a, c) => a + c.computed, 0);
  const stored = counts.reduce((a, c) => a + c.stored, 0);
  const kept = cache
    ? `${stored} computed answer(s) stored in ${cache.file}${stored < computed ? ` (${computed - stored} could not be stored: see the warning above)` : ""}`
    : "nothing was kept for a resume (--no-cache)";
  if (stopped) {
    const finished = taskResults.reduce((a, r) => a + r.nEffective, 0);
    const written = `partial results (${finished} of ${evaluation.docs} docs) written to ${resultsPath} with rakuten_eval.complete false`;
    if (stopped.interrupted) {
      throw new InterruptedError(
        `${written}; ` + (cache ? `rerun the same command to resume: finished answers are in ${cache.file}.` : "nothing was kept for a resume (--no-cache)."),
        stopSignalOf(options.signal),
      );
    }
    warn(`error after work began: ${written}; ${kept}.`);
    throw stopped.error;
  }
  if (cache) {
    const reused = counts.reduce((a, c) => a + c.fromCache, 0);
    log(
      stored === computed
        ? `cache: ${reused} answers reused, ${computed} computed and stored in ${cache.file}`
        : `cache: ${reused} answers reused, ${computed} computed, ${stored} of them stored in ${cache.file} (the cache failed: see the warning above)`,
    );
  }
  const tokensEvaluated = run.engine.inner?.stats?.().tokensEvaluated ?? null;
  return {
    doc,
    resultsPath,
    samplesPaths,
    ...(formatPath ? { formatPath } : {}),
    ...(run.tokenizerAgreement ? { tokenizerLine: tokenizerAgreementLine(run.tokenizerAgreement) } : {}),
    taskResults,
    cache: counts,
    tokensEvaluated,
    durationSeconds: (Date.now() - run.started) / 1000,
  };
}
