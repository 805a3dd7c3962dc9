// A run's evaluation: every planned request through the cached backend, with progress reports;
// when it is interrupted, or fails after work began (the engine, a task's metric), what finished
// is kept and scored as partial results instead of being lost.

import { oneLine } from "../util/oneLine.js";
import type { RunProgress } from "../api/progress.js";
import type { CachingBackend } from "../backend/cachingBackend.js";
import { InterruptedError, interruptedReason, stopSignalOf } from "../backend/interruption.js";
import { evaluate, type EvaluateHooks, type TaskResult } from "../evaluation/evaluator.js";
import type { PlannedTask, SkippedTask } from "../evaluation/taskPlan.js";
import type { RunEngine } from "./runEngine.js";
import type { RunOptions } from "./runOptions.js";
import { partialResults } from "./runPartial.js";

/** What the evaluation left: every task's results, or those of what finished before it stopped. */
export interface Evaluation {
  taskResults: TaskResult[];
  /** The tasks skipped at planning, then those a stop left without one answered doc. */
  skipped: SkippedTask[];
  /** Docs in this run's plan. */
  docs: number;
  /** Why it stopped, the error it stopped on, and the note the results file carries; absent when complete. */
  stopped?: { reason: string; error: unknown; interrupted: boolean; note: string };
}

/** The evaluator's hooks as `RunProgress` reports: the phase, its counts, the engine's tokens and the phases to come. */
function progressHooks(engine: RunEngine, onProgress: RunOptions["onProgress"]): EvaluateHooks {
  let phase: RunProgress["phase"] = "loglikelihood";
  let phases: NonNullable<RunProgress["upcoming"]> = [];
  return {
    onPlan: (plan: NonNullable<RunProgress["upcoming"]>) => {
      phases = plan;
    },
    onPhase: (name: string) => {
      phase = name === "generate" ? "generate" : "loglikelihood";
    },
    onProgress: (done: number, total: number, task?: string) => {
      const tokensEvaluated = engine.inner?.stats?.().tokensEvaluated;
      const at = phases.findIndex((p) => p.phase === phase);
      const upcoming = at < 0 ? [] : phases.slice(at + 1);
      onProgress?.({ phase, done, total, ...(task !== undefined ? { task } : {}), ...(tokensEvaluated !== undefined ? { tokensEvaluated } : {}), ...(upcoming.length > 0 ? { upcoming } : {}) });
    },
  };
}

/**
 * Evaluates `planned` on `backend`; a stop or failure after the first answer gives partial results
 * (and marks `engine` interrupted on a stop). A failure before any answer is thrown as it is.
 */
export async function evaluateWithSalvage(
  planned: PlannedTask[],
  skipped: SkippedTask[],
  backend: CachingBackend,
  engine: RunEngine,
  options: Pick<RunOptions, "signal" | "onProgress">,
  log: (line: string) => void,
): Promise<Evaluation> {
  const docs = planned.reduce((a, p) => a + p.docs.length, 0);
  log(`evaluating ${planned.length} task(s), ${docs} docs`);
  const hooks = progressHooks(engine, options.onProgress);
  try {
    return { taskResults: await evaluate(planned, backend, hooks), skipped, docs };
  } catch (e) {
    // Interrupted, or failed after work began (the engine, a task's metric): keep what finished.
    const interrupted = e instanceof InterruptedError;
    engine.interrupted = interrupted;
    const answers = backend.phaseCounts().reduce((a, c) => a + c.fromCache + c.computed, 0);
    if (answers === 0 && !interrupted) throw e;
    const reason = interrupted ? interruptedReason(stopSignalOf(options.signal)) : `failed: ${oneLine(e)}`;
    const partial = await partialResults(planned, backend);
    const finished = partial.taskResults.reduce((a, r) => a + r.nEffective, 0);
    const note = interrupted
      ? `${reason}: partial results, ${finished} of ${docs} docs scored; rerun the same command to finish`
      : `${reason}: partial results, ${finished} of ${docs} docs scored; fix the cause and rerun the same command to finish`;
    return { taskResults: partial.taskResults, skipped: [...skipped, ...partial.skipped], docs, stopped: { reason, error: e, interrupted, note } };
  }
}
