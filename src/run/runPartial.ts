// What a run can say from its request cache alone: which requests are still unanswered (for the
// context check before work), and, after an interrupt or a failure, the scores of every fully
// answered doc (partial results). Moved out of run.ts as is.

import { oneLine } from "../util/oneLine.js";
import type { LoglikelihoodRequest, ResolvedGenerateRequest } from "../api/types.js";
import { evaluate, resolveGenerate, type TaskResult } from "../evaluation/evaluator.js";
import type { PlannedTask, SkippedTask } from "../evaluation/taskPlan.js";
import type { CachingBackend } from "../backend/cachingBackend.js";

/** The requests of the planned docs that the cache cannot answer (generate requests resolved). */
export function unansweredRequests(planned: PlannedTask[], backend: CachingBackend): { loglikelihood: LoglikelihoodRequest[]; generate: ResolvedGenerateRequest[] } {
  const loglikelihood: LoglikelihoodRequest[] = [];
  const generate: ResolvedGenerateRequest[] = [];
  for (const p of planned) {
    for (const d of p.docs) {
      for (const r of d.requests) {
        if (r.type === "loglikelihood") {
          if (!backend.isAnswered(r)) loglikelihood.push(r);
        } else {
          const resolved = resolveGenerate(r, backend);
          if (!backend.isAnswered(resolved)) generate.push(resolved);
        }
      }
    }
  }
  return { loglikelihood, generate };
}

/** The planned docs whose every request has an answer (after an interrupt or a failure). */
export function answeredDocs(planned: PlannedTask[], backend: CachingBackend): { done: PlannedTask[]; none: PlannedTask[] } {
  const done: PlannedTask[] = [];
  const none: PlannedTask[] = [];
  for (const p of planned) {
    const docs = p.docs.filter((d) => d.requests.every((r) => backend.isAnswered(r.type === "loglikelihood" ? r : resolveGenerate(r, backend))));
    if (docs.length > 0) done.push({ ...p, docs });
    else none.push(p);
  }
  return { done, none };
}

/**
 * Scores what finished, from stored answers only: every task's fully answered docs. A task
 * whose scoring fails (the failure that stopped the run, say) is left out with the reason.
 */
export async function partialResults(planned: PlannedTask[], backend: CachingBackend): Promise<{ taskResults: TaskResult[]; skipped: SkippedTask[] }> {
  backend.answerOnlyFromCache();
  const { done, none } = answeredDocs(planned, backend);
  const skippedOf = (p: PlannedTask, reason: string): SkippedTask => ({ task: p.task, ...(p.group ? { group: p.group } : {}), shots: p.shots, reason });
  const skipped = none.map((p) => skippedOf(p, "stopped before any of its docs was scored"));
  try {
    // Together first: tasks share numpy's RNG (XLSum's bootstrap) as in a complete run.
    return { taskResults: done.length > 0 ? await evaluate(done, backend) : [], skipped };
  } catch {
    const taskResults: TaskResult[] = [];
    for (const p of done) {
      try {
        taskResults.push(...(await evaluate([p], backend)));
      } catch (e) {
        skipped.push(skippedOf(p, `scoring failed: ${oneLine(e)}`));
      }
    }
    return { taskResults, skipped };
  }
}
